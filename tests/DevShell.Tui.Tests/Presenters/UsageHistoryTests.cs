using DevShell.Core.Presenters;

namespace DevShell.Tui.Tests.Presenters;

public class UsageHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 12, 10, 0, 0, TimeSpan.Zero);

    private static TuiUsage Sample(double cpu = 10, long mem = 100, long rx = 0, long tx = 0) => new(cpu, mem, mem, 3, rx, tx);

    [Fact]
    public void Network_rates_come_from_the_counters_of_consecutive_samples()
    {
        var history = new UsageHistory();
        history.Record(T0, new Dictionary<string, TuiUsage> { ["a"] = Sample(rx: 1000, tx: 0) }, ["a"]);
        Assert.Null(history.Get("a")!.RxBytesPerSecond);

        history.Record(T0.AddSeconds(2), new Dictionary<string, TuiUsage> { ["a"] = Sample(rx: 5000, tx: 600) }, ["a"]);
        var usage = history.Get("a")!;
        Assert.Equal(2000, usage.RxBytesPerSecond);
        Assert.Equal(300, usage.TxBytesPerSecond);
    }

    [Fact]
    public void A_counter_that_goes_down_gives_no_rate_for_that_interval()
    {
        var history = new UsageHistory();
        history.Record(T0, new Dictionary<string, TuiUsage> { ["a"] = Sample(rx: 9000) }, ["a"]);
        history.Record(T0.AddSeconds(1), new Dictionary<string, TuiUsage> { ["a"] = Sample(rx: 10) }, ["a"]);
        Assert.Null(history.Get("a")!.RxBytesPerSecond);
    }

    [Fact]
    public void Each_session_keeps_only_its_newest_samples()
    {
        var history = new UsageHistory(capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            history.Record(T0.AddSeconds(i), new Dictionary<string, TuiUsage> { ["a"] = Sample(cpu: i, mem: i * 10) }, ["a"]);
        }

        var usage = history.Get("a")!;
        Assert.Equal([3.0, 4, 5], usage.CpuPercent);
        Assert.Equal([30.0, 40, 50], usage.MemoryBytes);
        Assert.Equal(5, usage.Latest.CpuPercent);
    }

    [Fact]
    public void Ended_sessions_are_forgotten_and_a_missed_sample_keeps_the_history()
    {
        var history = new UsageHistory();
        history.Record(T0, new Dictionary<string, TuiUsage> { ["a"] = Sample(), ["b"] = Sample() }, ["a", "b"]);

        // b is still live but was not sampled this tick; a has ended.
        history.Record(T0.AddSeconds(1), new Dictionary<string, TuiUsage>(), ["b"]);

        Assert.Null(history.Get("a"));
        Assert.NotNull(history.Get("b"));
        Assert.Equal(1, history.Count);
    }

    [Fact]
    public void A_sample_for_a_session_that_is_not_live_is_ignored()
    {
        var history = new UsageHistory();
        history.Record(T0, new Dictionary<string, TuiUsage> { ["ghost"] = Sample() }, []);
        Assert.Null(history.Get("ghost"));
    }

    [Fact]
    public void A_sample_not_newer_than_the_last_is_ignored()
    {
        var history = new UsageHistory();
        history.Record(T0, new Dictionary<string, TuiUsage> { ["a"] = Sample(cpu: 1) }, ["a"]);
        history.Record(T0, new Dictionary<string, TuiUsage> { ["a"] = Sample(cpu: 2) }, ["a"]);
        Assert.Equal([1.0], history.Get("a")!.CpuPercent);
    }
}
