using System.Diagnostics;
using DevShell.Core.Storage;
using DevShell.Core.Tests.Support;

namespace DevShell.Core.Tests.Storage;

/// <summary>
/// The store's cross-process lock. Two instances in one process hold two open file descriptions, which the kernel's
/// flock treats exactly like two processes; the NativeAOT front depends on this (its named mutexes are process-local).
/// </summary>
public sealed class StoreFileLockTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_second_holder_waits_until_the_first_lets_go()
    {
        var path = _dir.File("db.lock");
        using var first = new StoreFileLock(path, TimeSpan.FromSeconds(30));
        using var second = new StoreFileLock(path, TimeSpan.FromSeconds(30));
        first.Enter();
        var entered = new ManualResetEventSlim();
        var waiter = new Thread(() =>
        {
            second.Enter();
            entered.Set();
            second.Exit();
        });
        waiter.Start();

        Assert.False(entered.Wait(TimeSpan.FromMilliseconds(300)), "the second holder got the lock while the first held it");
        first.Exit();
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)), "the second holder never got the lock after the first let go");
        Assert.True(waiter.Join(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Nested_enters_keep_the_lock_until_the_last_exit()
    {
        var path = _dir.File("db.lock");
        using var owner = new StoreFileLock(path, TimeSpan.FromSeconds(30));
        using var other = new StoreFileLock(path, TimeSpan.FromMilliseconds(100));
        owner.Enter();
        owner.Enter();
        owner.Exit();
        Assert.Throws<StoreException>(other.Enter);
        owner.Exit();
        other.Enter();
        other.Exit();
    }

    [Fact]
    public void Waiting_past_the_timeout_fails_naming_the_lock_file()
    {
        var path = _dir.File("db.lock");
        using var holder = new StoreFileLock(path, TimeSpan.FromSeconds(30));
        using var late = new StoreFileLock(path, TimeSpan.FromMilliseconds(200));
        holder.Enter();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<StoreException>(late.Enter);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("locked by another devshell process", e.Message, StringComparison.Ordinal);
    }
}
