using DevShell.Core.Presenters;

namespace DevShell.Tui.Tests.Presenters;

public class RunningTableSameAsTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 12, 14, 0, 0, TimeSpan.Zero);

    private static TuiSession Session(string id, double hoursAgo) => new(id, "orders-api", "running", null, Now.AddHours(-hoursAgo), 512L << 20, 64, 1);

    private static UsageHistory Idle(DateTimeOffset until, params string[] ids)
    {
        var history = new UsageHistory();
        for (var t = until.AddSeconds(-30); t <= until; t = t.AddSeconds(1))
        {
            history.Record(t, ids.ToDictionary(id => id, _ => new TuiUsage(0, 240 << 10, 240 << 10, 3, 0, 0)), ids);
        }

        return history;
    }

    [Fact]
    public void A_refresh_of_idle_envs_that_changes_nothing_visible_is_the_same_table()
    {
        // Uptime over an hour shows minutes: two refreshes a second apart draw alike.
        TuiSession[] sessions = [Session("a1", 2), Session("b2", 3)];
        var first = RunningTable.Build(sessions, Idle(Now, "a1", "b2"), 120, Now, 2, new HashSet<string>());
        var second = RunningTable.Build(sessions, Idle(Now.AddSeconds(1), "a1", "b2"), 120, Now.AddSeconds(1), 2, new HashSet<string>());

        Assert.True(RunningTable.SameAs(first, second));
    }

    [Fact]
    public void A_changed_cell_a_new_env_a_highlight_or_a_new_width_is_a_different_table()
    {
        TuiSession[] young = [Session("a1", 0.001)]; // seconds old: the uptime cell changes every second
        var history = Idle(Now, "a1", "b2");
        var baseline = RunningTable.Build(young, history, 120, Now, 2, new HashSet<string>());

        Assert.False(RunningTable.SameAs(baseline, RunningTable.Build(young, history, 120, Now.AddSeconds(1), 2, new HashSet<string>())));
        Assert.False(RunningTable.SameAs(baseline, RunningTable.Build([.. young, Session("b2", 1)], history, 120, Now, 2, new HashSet<string>())));
        Assert.False(RunningTable.SameAs(baseline, RunningTable.Build(young, history, 120, Now, 2, new HashSet<string> { "a1" })));
        Assert.False(RunningTable.SameAs(baseline, RunningTable.Build(young, history, 200, Now, 2, new HashSet<string>())));
        Assert.True(RunningTable.SameAs(baseline, RunningTable.Build(young, history, 120, Now, 2, new HashSet<string>())));
    }
}
