using DevShell.Core.Presenters;

namespace DevShell.Tui.Tests.Presenters;

public class EventRenderKeyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 12, 14, 3, 27, TimeSpan.Zero);

    private static TuiEvent Event(long id, bool violation = false) =>
        new(id, T0, "s1", "orders-api", violation ? "oom_kill" : "started", "msg", violation);

    [Fact]
    public void The_key_stays_the_same_while_nothing_that_shows_changes()
    {
        var log = new EventLog();
        log.Add([Event(1), Event(2, violation: true)], DateTimeOffset.MinValue);

        Assert.Equal(EventRows.KeyFor(log, T0, TimeSpan.Zero), EventRows.KeyFor(log, T0.AddSeconds(30), TimeSpan.Zero));
    }

    [Fact]
    public void New_events_change_the_key_but_repeated_ones_do_not()
    {
        var log = new EventLog();
        log.Add([Event(1)], T0);
        var before = EventRows.KeyFor(log, T0, TimeSpan.Zero);

        log.Add([Event(1)], T0);
        Assert.Equal(before, EventRows.KeyFor(log, T0, TimeSpan.Zero));

        log.Add([Event(2)], T0);
        Assert.NotEqual(before, EventRows.KeyFor(log, T0, TimeSpan.Zero));
    }

    [Fact]
    public void A_highlight_starting_and_ending_changes_the_key()
    {
        var log = new EventLog();
        var quiet = EventRows.KeyFor(log, T0, TimeSpan.Zero);
        log.Add([Event(7, violation: true)], T0);

        var fresh = EventRows.KeyFor(log, T0.AddSeconds(1), TimeSpan.Zero);
        var stillFresh = EventRows.KeyFor(log, T0 + EventRows.HighlightFor - TimeSpan.FromSeconds(1), TimeSpan.Zero);
        var over = EventRows.KeyFor(log, T0 + EventRows.HighlightFor, TimeSpan.Zero);

        Assert.NotEqual(quiet, fresh);
        Assert.Equal(fresh, stillFresh);
        Assert.NotEqual(fresh, over);
        Assert.Equal("", over.FreshIds);
    }

    [Fact]
    public void A_new_local_day_changes_the_key_because_older_times_then_show_their_date()
    {
        var log = new EventLog();
        log.Add([Event(1)], DateTimeOffset.MinValue);
        var offset = TimeSpan.FromHours(2);
        var lateEvening = new DateTimeOffset(2026, 3, 12, 21, 59, 0, TimeSpan.Zero); // 23:59 local

        Assert.NotEqual(EventRows.KeyFor(log, lateEvening, offset), EventRows.KeyFor(log, lateEvening.AddMinutes(2), offset));
    }
}
