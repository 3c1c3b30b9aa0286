using DevShell.Core.Presenters;

namespace DevShell.Tui.Tests.Presenters;

public class RunningTableTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 12, 14, 0, 0, TimeSpan.Zero);

    private static TuiSession Session(string id, string profile, double minutesAgo = 5, long? mem = 512L << 20, int? pids = 256, double? cpu = 0.5, string? ip = "10.88.0.5") =>
        new(id, profile, "running", ip, Now.AddMinutes(-minutesAgo), mem, pids, cpu);

    private static UsageHistory History(params (string Id, double Cpu, long Mem)[] samples)
    {
        var history = new UsageHistory();
        var live = samples.Select(s => s.Id).Distinct().ToList();
        var t = Now.AddSeconds(-samples.Length);
        foreach (var s in samples)
        {
            t = t.AddSeconds(1);
            history.Record(t, new Dictionary<string, TuiUsage> { [s.Id] = new(s.Cpu, s.Mem, s.Mem, 12, 1000, 500) }, live);
        }

        return history;
    }

    [Fact]
    public void Rows_are_ordered_by_profile_then_start_time()
    {
        TuiSession[] sessions = [Session("c", "orders-api", 1), Session("a", "billing", 2), Session("b", "orders-api", 9)];
        var rows = RunningTable.Build(sessions, new UsageHistory(), RunningTable.LayoutFor(200), Now, 2);
        Assert.Equal(["a", "b", "c"], rows.Select(r => r.SessionId));
    }

    [Fact]
    public void A_row_shows_uptime_cpu_and_memory_against_limits_with_sparklines()
    {
        var history = History(("s1", 10, 128L << 20), ("s1", 50, 256L << 20));
        var layout = RunningTable.LayoutFor(200);
        var row = RunningTable.Build([Session("s1", "orders-api", 65)], history, layout, Now, 2).Single();
        var cell = layout.Columns.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => row.Cells[x.i]);

        Assert.Equal("s1", cell[RunningColumn.Session]);
        Assert.Equal("orders-api", cell[RunningColumn.Profile]);
        Assert.Equal("10.88.0.5", cell[RunningColumn.Ip]);
        Assert.Equal("1h05m", cell[RunningColumn.Uptime]);

        // CPU against the 0.5-core limit: 10% is a fifth of it, 50% all of it.
        Assert.Equal(" 50% " + new string(' ', layout.SparkWidth - 2) + "▂█", cell[RunningColumn.Cpu]);
        Assert.Equal(1.0, row.CpuLoad);

        // Memory against the 512M limit: 128M is a quarter, 256M a half.
        Assert.Equal("256M/512M".PadRight(RunningTable.MemoryTextWidth) + " " + new string(' ', layout.SparkWidth - 2) + "▃▅", cell[RunningColumn.Memory]);
        Assert.Equal(0.5, row.MemoryLoad);
        Assert.Equal("12/256", cell[RunningColumn.Pids]);
    }

    [Fact]
    public void Without_a_cpu_limit_cpu_is_charted_against_the_host_cores()
    {
        var history = History(("s1", 100, 1L << 20));
        var row = RunningTable.Build([Session("s1", "p", cpu: null)], history, RunningTable.LayoutFor(200), Now, hostCores: 4).Single();
        Assert.Equal(0.25, row.CpuLoad);
        Assert.Equal(400, RunningTable.CpuScale(Session("x", "p", cpu: null), 4));
    }

    [Fact]
    public void Without_a_memory_limit_there_is_no_memory_load_and_the_chart_scales_to_its_own_peak()
    {
        var history = History(("s1", 1, 100L << 20), ("s1", 1, 200L << 20));
        var layout = RunningTable.LayoutFor(200);
        var row = RunningTable.Build([Session("s1", "p", mem: null)], history, layout, Now, 2).Single();
        Assert.True(double.IsNaN(row.MemoryLoad));
        var memory = row.Cells[layout.Columns.ToList().IndexOf(RunningColumn.Memory)];
        Assert.StartsWith("200M ", memory, StringComparison.Ordinal);
        Assert.EndsWith("▅█", memory, StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_without_samples_yet_shows_dashes_and_its_limits()
    {
        var layout = RunningTable.LayoutFor(200);
        var row = RunningTable.Build([Session("s1", "p", ip: null)], new UsageHistory(), layout, Now, 2).Single();
        var cells = layout.Columns.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => row.Cells[x.i]);
        Assert.Equal("-", cells[RunningColumn.Ip]);
        Assert.Equal("-", cells[RunningColumn.Cpu]);
        Assert.Equal("-/512M", cells[RunningColumn.Memory]);
        Assert.Equal("-/256", cells[RunningColumn.Pids]);
        Assert.Equal("-", cells[RunningColumn.Net]);
        Assert.True(double.IsNaN(row.CpuLoad));
    }

    [Fact]
    public void A_session_with_a_fresh_violation_is_marked()
    {
        var row = RunningTable.Build([Session("s1", "p")], new UsageHistory(), RunningTable.LayoutFor(200), Now, 2, new HashSet<string> { "s1" }).Single();
        Assert.True(row.HasFreshViolation);
        Assert.StartsWith("⚠ ", row.Cells[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Long_names_are_cut_to_the_layout()
    {
        var layout = RunningTable.LayoutFor(80);
        var row = RunningTable.Build([Session("a-very-long-session-identifier", "a-very-long-profile-name")], new UsageHistory(), layout, Now, 2).Single();
        Assert.Equal(layout.SessionWidth, row.Cells[0].Length);
        Assert.EndsWith("…", row.Cells[0], StringComparison.Ordinal);
        Assert.Equal(layout.ProfileWidth, row.Cells[1].Length);
    }

    [Fact]
    public void At_80_columns_the_table_fits_by_dropping_the_network_column_first()
    {
        var sessions = Enumerable.Range(1, 3).Select(i => Session($"billing-worker-00{i}", "billing-worker", i * 100)).ToList();
        var history = new UsageHistory();
        for (var t = 0; t < 3; t++)
        {
            history.Record(Now.AddSeconds(t), sessions.ToDictionary(s => s.Id, s => new TuiUsage(12.5, 300L << 20, 300L << 20, 17, 100_000L * t, 20_000L * t)), sessions.Select(s => s.Id));
        }

        var narrow = RunningTable.Build(sessions, history, 78, Now, 2);
        Assert.True(RunningTable.NeededWidth(narrow.Layout, narrow.Rows) <= 78);
        Assert.Equal(RunningColumn.Net, narrow.Hidden[0]);
        Assert.Contains(RunningColumn.Session, narrow.Layout.Columns);
        Assert.Contains(RunningColumn.Cpu, narrow.Layout.Columns);
        Assert.Contains(RunningColumn.Memory, narrow.Layout.Columns);
        Assert.All(narrow.Rows, r => Assert.Equal(narrow.Layout.Columns.Count, r.Cells.Count));

        var wide = RunningTable.Build(sessions, history, 160, Now, 2);
        Assert.Empty(wide.Hidden);
        Assert.Equal(8, wide.Layout.Columns.Count);
        Assert.True(wide.Layout.SparkWidth > narrow.Layout.SparkWidth);
    }

    [Fact]
    public void Sparklines_of_different_rows_start_in_the_same_column()
    {
        var history = History(("a", 1, 5L << 20), ("b", 1, 700L << 20));
        var layout = RunningTable.LayoutFor(200);
        var rows = RunningTable.Build([Session("a", "p", mem: 768L << 20), Session("b", "p", mem: 768L << 20)], history, layout, Now, 2);
        var memory = layout.Columns.ToList().IndexOf(RunningColumn.Memory);
        Assert.Equal(rows[0].Cells[memory].Length, rows[1].Cells[memory].Length);
    }

    [Fact]
    public void Session_profile_cpu_and_memory_are_never_dropped()
    {
        var model = RunningTable.Build([Session("s", "p")], new UsageHistory(), 10, Now, 2);
        Assert.Equal([RunningColumn.Session, RunningColumn.Profile, RunningColumn.Cpu, RunningColumn.Memory], model.Layout.Columns);
        Assert.Equal(RunningTable.DropOrder, model.Hidden);
    }
}
