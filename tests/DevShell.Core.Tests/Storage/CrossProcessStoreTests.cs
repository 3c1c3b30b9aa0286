using System.Globalization;
using DevShell.Core.Networking;
using DevShell.Core.Profiles;
using DevShell.Core.Storage;
using DevShell.Core.Tests.Support;
using Xunit.Abstractions;

namespace DevShell.Core.Tests.Storage;

/// <summary>
/// The store used by several real processes at once (tests/DevShell.StoreProbe), which is how devshell runs:
/// the TUI, CLI verbs and launchers all open the same LiteDB file in shared mode. Tests of this class run one at a time
/// (xunit runs a class's tests sequentially), each with its own temp database, overlapping the fast unit tests.
/// </summary>
public sealed class CrossProcessStoreTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly TempDir _dir = new();

    private string DbPath => _dir.File("devshell.db");

    public void Dispose() => _dir.Dispose();

    private DevShellStore Open() => DevShellStore.Open(DbPath, new StoreOptions { AutoBackup = false });

    [Fact]
    public async Task Concurrent_edits_from_two_processes_lose_no_update()
    {
        using (var store = Open())
        {
            store.Add(new Profile { Name = "counter" });
        }

        const int PerProcess = 40;
        using var a = StoreProbe.Start("bump", DbPath, "counter", PerProcess.ToString(CultureInfo.InvariantCulture));
        using var b = StoreProbe.Start("bump", DbPath, "counter", PerProcess.ToString(CultureInfo.InvariantCulture));
        var linesA = await a.FinishAsync(Timeout);
        var linesB = await b.FinishAsync(Timeout);

        using var check = Open();
        var final = check.Require("counter");
        Assert.Equal((2 * PerProcess).ToString(CultureInfo.InvariantCulture), final.Env["COUNTER"]);
        Assert.Equal(1 + (2 * PerProcess), final.Revision);

        // Every successful write got a distinct revision: no two processes both won the same compare-and-write.
        var revisions = linesA.Concat(linesB).Where(l => l.StartsWith("bumped ", StringComparison.Ordinal)).Select(l => int.Parse(l[7..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(2, 2 * PerProcess), revisions.Order());
        var conflicts = linesA.Concat(linesB).Where(l => l.StartsWith("conflicts ", StringComparison.Ordinal)).Sum(l => int.Parse(l[10..], CultureInfo.InvariantCulture));
        output.WriteLine($"{2 * PerProcess} edits, {conflicts} conflicts detected and retried");
    }

    [Fact]
    public async Task Two_processes_adding_200_profiles_each_lose_none()
    {
        using var a = StoreProbe.Start("add", DbPath, "alpha", "200");
        using var b = StoreProbe.Start("add", DbPath, "beta", "200");
        var started = DateTime.UtcNow;
        await a.FinishAsync(Timeout);
        await b.FinishAsync(Timeout);
        output.WriteLine($"400 adds from 2 processes took {(DateTime.UtcNow - started).TotalSeconds:F1} s");

        using var store = Open();
        var names = store.List().Select(p => p.Name).ToHashSet();
        Assert.Equal(400, names.Count);
        Assert.All(Enumerable.Range(0, 200), i => Assert.Contains($"alpha-{i}", names));
        Assert.All(Enumerable.Range(0, 200), i => Assert.Contains($"beta-{i}", names));
    }

    [Fact]
    public async Task A_writer_killed_with_SIGKILL_loses_nothing_it_acknowledged()
    {
        using (var probe = StoreProbe.Start("add", DbPath, "k", "100000"))
        {
            await probe.WaitForLinesAsync(60, Timeout);
            probe.KillHard();
            var acknowledged = probe.Lines.Where(l => l.StartsWith("added ", StringComparison.Ordinal)).Select(l => l[6..]).ToList();
            output.WriteLine($"killed after {acknowledged.Count} acknowledged adds");

            using var store = Open();
            var names = store.List().Select(p => p.Name).ToHashSet();
            Assert.All(acknowledged, name => Assert.Contains(name, names));
            Assert.InRange(names.Count, acknowledged.Count, acknowledged.Count + 1);

            // The database still takes writes after the crash (the dead writer's lock was released).
            store.Add(new Profile { Name = "after-crash" });
            Assert.NotNull(store.Get("after-crash"));
        }

        using var other = StoreProbe.Start("add", DbPath, "later", "3");
        await other.FinishAsync(Timeout);
        using var reopened = Open();
        Assert.NotNull(reopened.Get("later-2"));
    }

    [Fact]
    public async Task Two_processes_allocating_50_addresses_each_get_100_distinct_ones()
    {
        using var a = StoreProbe.Start("alloc", DbPath, "aaaa", "50", "10.77.0.0/24");
        using var b = StoreProbe.Start("alloc", DbPath, "bbbb", "50", "10.77.0.0/24");
        var leased = (await a.FinishAsync(Timeout)).Concat(await b.FinishAsync(Timeout))
            .Select(l => l.Split(' ')[1]).ToList();

        Assert.Equal(100, leased.Count);
        Assert.Equal(100, leased.Distinct().Count());
        var subnet = Ipv4Cidr.Parse("10.77.0.0/24");
        Assert.All(leased, ip =>
        {
            Assert.True(Ipv4.TryParse(ip, out var address));
            Assert.True(subnet.Contains(address) && address != subnet.Network && address != subnet.Gateway && address != subnet.Broadcast, ip);
        });

        // Lowest-free allocation means the 100 leases are exactly .2 to .101.
        using var store = Open();
        Assert.Equal(Enumerable.Range(2, 100).Select(i => $"10.77.0.{i}"), store.ListLeases().Select(l => l.Ip));
    }

    [Fact]
    public async Task Event_ids_from_two_processes_are_unique_and_follow_commit_order()
    {
        using var a = StoreProbe.Start("events", DbPath, "aaaaaaaa", "60");
        using var b = StoreProbe.Start("events", DbPath, "bbbbbbbb", "60");
        var idsA = (await a.FinishAsync(Timeout)).Select(l => long.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)).ToList();
        var idsB = (await b.FinishAsync(Timeout)).Select(l => long.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)).ToList();

        Assert.Equal(120, idsA.Concat(idsB).Distinct().Count());
        Assert.Equal(idsA.Order(), idsA);
        Assert.Equal(idsB.Order(), idsB);
        using var store = Open();
        var all = store.QueryEvents(limit: 1000);
        Assert.Equal(120, all.Count);
        Assert.Equal(idsA.Concat(idsB).Order(), all.Select(e => e.Id));
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), store.QueryEvents("aaaaaaaa", limit: 1000).Select(e => e.Value!.Value));
    }
}
