using DevShell.Tui.Hosting;

namespace DevShell.Tui.Tests.Hosting;

public class IdleLoopTests
{
    private const long NoInput = -1;
    private const int NoTimer = -1;

    [Fact]
    public void An_idle_loop_sleeps_long_when_input_can_wake_it()
    {
        Assert.Equal(IdleLoop.IdleWaitMs, IdleLoop.SleepFor(previousPassSlept: false, drawn: true, inputWakes: true, NoInput, NoTimer));
    }

    [Fact]
    public void With_terminal_guis_own_input_the_loop_keeps_the_stock_pace()
    {
        // That input cannot wake the loop, so a key would otherwise wait out the whole sleep.
        Assert.Equal(IdleLoop.PollingIdleWaitMs, IdleLoop.SleepFor(false, true, inputWakes: false, NoInput, NoTimer));
        Assert.True(IdleLoop.PollingIdleWaitMs <= 1000 / Terminal.Gui.App.Application.DefaultMaximumIterationsPerSecond);
    }

    [Fact]
    public void The_pass_after_a_sleep_runs_at_once_so_what_the_woken_pass_queued_is_drawn()
    {
        Assert.Equal(0, IdleLoop.SleepFor(previousPassSlept: true, drawn: true, inputWakes: true, NoInput, NoTimer));
    }

    [Fact]
    public void Passes_come_quickly_for_a_while_after_input()
    {
        var activeMs = (long)IdleLoop.ActiveFor.TotalMilliseconds;

        Assert.Equal(IdleLoop.ActiveWaitMs, IdleLoop.SleepFor(false, true, true, sinceInputMs: 0, NoTimer));
        Assert.Equal(IdleLoop.ActiveWaitMs, IdleLoop.SleepFor(false, true, true, sinceInputMs: activeMs - 1, NoTimer));
        Assert.Equal(IdleLoop.IdleWaitMs, IdleLoop.SleepFor(false, true, true, sinceInputMs: activeMs, NoTimer));
    }

    [Fact]
    public void Before_the_first_screen_is_drawn_the_loop_only_naps()
    {
        // Terminal.Gui may hold the first draw until the terminal answers its queries: check back soon, without spinning.
        Assert.Equal(IdleLoop.ActiveWaitMs, IdleLoop.SleepFor(false, drawn: false, inputWakes: true, NoInput, NoTimer));
    }

    [Fact]
    public void The_sleep_ends_when_the_next_terminal_gui_timeout_is_due()
    {
        Assert.Equal(7, IdleLoop.SleepFor(false, true, true, NoInput, timerDueMs: 7));
        Assert.Equal(0, IdleLoop.SleepFor(false, true, true, NoInput, timerDueMs: 0));
        Assert.Equal(IdleLoop.IdleWaitMs, IdleLoop.SleepFor(false, true, true, NoInput, timerDueMs: 60_000));
    }

    [Fact]
    public void A_redundant_hidden_cursor_update_is_cleared_only_after_it_has_run_once()
    {
        var gate = new IdleLoop.CursorGate();

        Assert.False(gate.Redundant(needsUpdate: true, wantsHidden: true, lastSetHidden: true)); // this pass still writes it
        Assert.True(gate.Redundant(needsUpdate: true, wantsHidden: true, lastSetHidden: true));
        Assert.False(gate.Redundant(needsUpdate: false, wantsHidden: true, lastSetHidden: true));
    }

    [Fact]
    public void A_visible_or_changing_cursor_is_always_left_to_terminal_gui()
    {
        var gate = new IdleLoop.CursorGate();
        for (var i = 0; i < 5; i++)
        {
            Assert.False(gate.Redundant(needsUpdate: true, wantsHidden: false, lastSetHidden: true));
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.False(gate.Redundant(needsUpdate: true, wantsHidden: true, lastSetHidden: false));
        }
    }

    [Fact]
    public void Any_pass_that_is_not_redundant_starts_the_count_again()
    {
        var gate = new IdleLoop.CursorGate();
        Assert.False(gate.Redundant(true, true, true));
        Assert.False(gate.Redundant(true, false, true)); // focus moved to a text field for a pass
        Assert.False(gate.Redundant(true, true, true));
        Assert.True(gate.Redundant(true, true, true));
    }
}
