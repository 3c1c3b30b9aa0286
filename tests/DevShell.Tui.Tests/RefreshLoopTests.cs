using DevShell.Core.Presenters;
using DevShell.Core.Profiles;
using DevShell.Tui.Tests.Fakes;

namespace DevShell.Tui.Tests;

public class RefreshLoopTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_tick_that_overlaps_a_slow_backend_call_is_dropped_not_queued()
    {
        using var release = new ManualResetEventSlim();
        using var entered = new SemaphoreSlim(0);
        var backend = new ScriptedBackend { OnListSessions = () => { entered.Release(); release.Wait(Timeout); } };
        var applied = 0;
        using var loop = new RefreshLoop(backend, 0, (_, done) => { Interlocked.Increment(ref applied); done(); }, TimeSpan.FromHours(1));

        Assert.True(loop.TryTick());
        Assert.True(entered.Wait(Timeout), "the first tick never reached the backend");
        Assert.False(loop.TryTick());
        Assert.False(loop.TryTick());
        Assert.Equal(2, loop.Dropped);

        release.Set();
        Assert.True(SpinWait.SpinUntil(() => loop.Completed == 1, Timeout));
        Assert.True(loop.TryTick());
        Assert.True(SpinWait.SpinUntil(() => loop.Completed == 2, Timeout));
        Assert.Equal(2, applied);
        Assert.Equal(2, backend.ListSessionsCalls);
    }

    [Fact]
    public void A_tick_is_dropped_while_the_ui_has_not_applied_the_previous_snapshot()
    {
        var backend = new ScriptedBackend();
        Action? pendingDone = null;
        using var posted = new SemaphoreSlim(0);
        using var loop = new RefreshLoop(backend, 0, (_, done) => { pendingDone = done; posted.Release(); }, TimeSpan.FromHours(1));

        Assert.True(loop.TryTick());
        Assert.True(posted.Wait(Timeout));
        Assert.False(loop.TryTick());

        pendingDone!();
        Assert.True(loop.TryTick());
        Assert.True(posted.Wait(Timeout));
        Assert.Equal(1, loop.Dropped);
    }

    [Fact]
    public void Stopping_waits_for_a_tick_that_is_still_talking_to_the_backend()
    {
        using var entered = new SemaphoreSlim(0);
        var finished = 0;
        var backend = new ScriptedBackend
        {
            OnListSessions = () =>
            {
                entered.Release();
                Thread.Sleep(300);
                Volatile.Write(ref finished, 1);
            },
        };
        var loop = new RefreshLoop(backend, 0, (_, done) => done(), TimeSpan.FromHours(1));
        Assert.True(loop.TryTick());
        Assert.True(entered.Wait(Timeout));

        loop.Dispose();
        Assert.Equal(1, Volatile.Read(ref finished));
        Assert.False(loop.TryTick());
    }

    [Fact]
    public void Backend_failures_become_an_error_message_and_the_rest_still_arrives()
    {
        var backend = new ScriptedBackend { OnListSessions = () => throw new InvalidOperationException("store is locked") };
        using var loop = new RefreshLoop(backend, 0, (_, done) => done(), TimeSpan.FromHours(1));

        var snapshot = loop.Collect();
        Assert.Null(snapshot.Sessions);
        Assert.NotNull(snapshot.Profiles);
        Assert.Equal("listing running envs failed: store is locked", snapshot.Error);
    }

    [Fact]
    public void Each_tick_asks_only_for_events_after_the_last_one_received()
    {
        var backend = new ScriptedBackend();
        backend.Events.AddRange([Ev(5), Ev(6)]);
        using var loop = new RefreshLoop(backend, afterEventId: 4, (_, done) => done(), TimeSpan.FromHours(1));

        Assert.Equal([5L, 6], loop.Collect().Events.Select(e => e.Id));
        backend.Events.Add(Ev(7));
        Assert.Equal([7L], loop.Collect().Events.Select(e => e.Id));
        Assert.Empty(loop.Collect().Events);
        Assert.Equal([4L, 6, 7], backend.EventsAskedAfter);
    }

    [Fact]
    public void Started_loop_ticks_every_period()
    {
        var backend = new ScriptedBackend();
        using var loop = new RefreshLoop(backend, 0, (_, done) => done(), TimeSpan.FromMilliseconds(20));
        loop.Start();
        Assert.True(SpinWait.SpinUntil(() => loop.Completed >= 3, Timeout), $"only {loop.Completed} ticks");
        loop.Dispose();
        var after = loop.Completed;
        Thread.Sleep(100);
        Assert.InRange(loop.Completed, after, after + 1);
    }

    [Fact]
    public void The_serialized_backend_never_runs_two_calls_at_once()
    {
        var inner = new ScriptedBackend { OnListSessions = () => Thread.Sleep(2) };
        var backend = new SerializedBackend(inner);
        var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < 20; i++)
            {
                backend.ListSessions();
                backend.SampleUsage();
                backend.ListProfiles();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(Timeout)));
        Assert.Equal(1, inner.MaxConcurrentCalls);
        Assert.Equal(160, inner.ListSessionsCalls);
    }

    private static TuiEvent Ev(long id) => new(id, DateTimeOffset.UnixEpoch, "s", "p", "start", "started", false);

    /// <summary>A backend whose calls can block, fail or be counted.</summary>
    private sealed class ScriptedBackend : ITuiBackend
    {
        private int _inCall;
        private int _maxConcurrent;
        private int _listSessionsCalls;

        public Action? OnListSessions { get; init; }

        public List<TuiEvent> Events { get; } = [];

        public List<long> EventsAskedAfter { get; } = [];

        public int ListSessionsCalls => Volatile.Read(ref _listSessionsCalls);

        public int MaxConcurrentCalls => Volatile.Read(ref _maxConcurrent);

        public IReadOnlyList<Profile> ListProfiles() => Tracked(() => (IReadOnlyList<Profile>)[new Profile { Name = "p" }]);

        public IReadOnlyList<TuiSession> ListSessions() => Tracked(() =>
        {
            Interlocked.Increment(ref _listSessionsCalls);
            OnListSessions?.Invoke();
            return (IReadOnlyList<TuiSession>)[];
        });

        public IReadOnlyList<TuiEvent> EventsSince(long afterId, int max) => Tracked(() =>
        {
            EventsAskedAfter.Add(afterId);
            return (IReadOnlyList<TuiEvent>)Events.Where(e => e.Id > afterId).Take(max).ToList();
        });

        public IReadOnlyDictionary<string, TuiUsage> SampleUsage() => Tracked(() => (IReadOnlyDictionary<string, TuiUsage>)new Dictionary<string, TuiUsage>());

        public void SaveProfile(Profile profile, bool isNew) => throw new NotSupportedException();

        public void DeleteProfile(string name) => throw new NotSupportedException();

        public void ImportPresets() => throw new NotSupportedException();

        public int OpenShell(string profile) => throw new NotSupportedException();

        public int AttachShell(string sessionId) => throw new NotSupportedException();

        public void StopSession(string sessionId) => throw new NotSupportedException();

        private T Tracked<T>(Func<T> call)
        {
            var now = Interlocked.Increment(ref _inCall);
            int seen;
            while ((seen = Volatile.Read(ref _maxConcurrent)) < now && Interlocked.CompareExchange(ref _maxConcurrent, now, seen) != seen)
            {
            }

            try
            {
                return call();
            }
            finally
            {
                Interlocked.Decrement(ref _inCall);
            }
        }
    }
}
