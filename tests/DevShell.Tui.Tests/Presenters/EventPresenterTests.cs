using DevShell.Core.Presenters;

namespace DevShell.Tui.Tests.Presenters;

public class EventPresenterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 12, 14, 3, 27, TimeSpan.Zero);

    private static TuiEvent Event(long id, string kind = "started", bool violation = false, string? session = "s1", string message = "env started") =>
        new(id, T0, session, "orders-api", kind, message, violation);

    [Fact]
    public void Events_are_kept_newest_first_without_duplicates_and_up_to_the_capacity()
    {
        var log = new EventLog(capacity: 3);
        log.Add([Event(2), Event(1)], T0);
        log.Add([Event(2), Event(3), Event(4)], T0);

        Assert.Equal([4L, 3, 2], log.NewestFirst.Select(e => e.Event.Id));
        Assert.Equal(4, log.LastId);
    }

    [Fact]
    public void Adding_reports_how_many_new_violations_arrived()
    {
        var log = new EventLog();
        Assert.Equal(2, log.Add([Event(1, "oom_kill", true), Event(2), Event(3, "pids_max", true)], T0));
        Assert.Equal(0, log.Add([Event(1, "oom_kill", true)], T0));
    }

    [Fact]
    public void A_violation_is_highlighted_from_the_moment_it_arrives_and_then_stays_marked()
    {
        var log = new EventLog();
        var arrived = T0.AddHours(5); // arrival time counts, not the (possibly skewed) event time
        log.Add([Event(1, "oom_kill", true, message: "python3 killed: memory limit 256M reached"), Event(2)], arrived);

        var fresh = EventRows.Build(log, arrived.AddSeconds(1), TimeSpan.Zero);
        Assert.Equal(EventStyle.Lifecycle, fresh[0].Style);
        Assert.Equal(EventStyle.FreshViolation, fresh[1].Style);
        Assert.Equal("Events ⚠ 1 new violation", EventRows.Title(log, arrived.AddSeconds(1)));
        Assert.Equal(["s1"], log.SessionsWithFreshViolations(arrived.AddSeconds(1), EventRows.HighlightFor));

        var later = EventRows.Build(log, arrived + EventRows.HighlightFor, TimeSpan.Zero);
        Assert.Equal(EventStyle.Violation, later[1].Style);
        Assert.Equal("Events", EventRows.Title(log, arrived + EventRows.HighlightFor));
        Assert.Empty(log.SessionsWithFreshViolations(arrived + EventRows.HighlightFor, EventRows.HighlightFor));
    }

    [Fact]
    public void History_is_never_highlighted()
    {
        var log = new EventLog();
        log.Add([Event(1, "oom_kill", true)], DateTimeOffset.MinValue);
        Assert.Equal(EventStyle.Violation, EventRows.Build(log, T0, TimeSpan.Zero)[0].Style);
        Assert.Equal("Events", EventRows.Title(log, T0));
    }

    [Fact]
    public void A_line_shows_time_mark_kind_profile_and_message()
    {
        var log = new EventLog();
        log.Add([Event(7, "oom_kill", true, message: "python3 killed: memory limit 256M reached")], T0);
        var row = EventRows.Build(log, T0, TimeSpan.Zero).Single();
        Assert.Equal("14:03:27 ⚠ OOM      orders-api  python3 killed: memory limit 256M reached", row.Text);
        Assert.Equal(7, row.Id);

        var lifecycle = EventRows.Row(new LoggedEvent(Event(8, "started"), T0), T0, TimeSpan.Zero);
        Assert.StartsWith("14:03:27 · START    orders-api  ", lifecycle.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hostile_event_message_is_escaped()
    {
        var row = EventRows.Row(new LoggedEvent(Event(1, "oo\u001b[2J", true, message: "boom\u001b[31m"), T0), T0, TimeSpan.Zero);
        Assert.DoesNotContain('\u001b', row.Text);
        Assert.Contains("boom\\u001b[31m", row.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("oom_kill", "OOM")]
    [InlineData("memory_max", "MEM MAX")]
    [InlineData("pids_max", "PIDS MAX")]
    [InlineData("cpu_throttled", "THROTTLE")]
    [InlineData("egress_blocked", "EGRESS")]
    [InlineData("started", "START")]
    [InlineData("exited", "EXIT")]
    [InlineData("hook_failed", "HOOK")]
    [InlineData("some_new_kind", "SOME NE…")]
    [InlineData(null, "")]
    public void Kind_labels_are_short_words_that_fit_their_column(string? kind, string expected) =>
        Assert.Equal(expected, EventRows.KindLabel(kind));

    [Fact]
    public void Every_known_kind_has_a_label_that_fits()
    {
        Assert.All(DevShell.Core.Events.EventKinds.All, k => Assert.InRange(EventRows.KindLabel(k).Length, 2, EventRows.KindWidth));
    }

    [Fact]
    public void Two_fresh_violations_are_counted_in_the_title()
    {
        var log = new EventLog();
        log.Add([Event(1, "oom_kill", true), Event(2, "egress_blocked", true, session: null)], T0);
        Assert.Equal("Events ⚠ 2 new violations", EventRows.Title(log, T0));
        Assert.Equal(["s1"], log.SessionsWithFreshViolations(T0, EventRows.HighlightFor));
    }
}
