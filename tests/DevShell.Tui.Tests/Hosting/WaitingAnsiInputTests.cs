using System.Diagnostics;
using System.IO.Pipes;
using DevShell.Tui.Hosting;
using Terminal.Gui.App;

namespace DevShell.Tui.Tests.Hosting;

/// <summary>
/// The wait runs on a pipe here instead of a terminal (the test has none, so Terminal.Gui's own reading stays idle and
/// Peek reports no input): what is checked is when a wait ends.
/// </summary>
public sealed class WaitingAnsiInputTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly AnonymousPipeServerStream _writer = new(PipeDirection.Out);

    public void Dispose() => _writer.Dispose();

    private int ReadFd => (int)_writer.ClientSafePipeHandle.DangerousGetHandle();

    [Fact]
    public void Peek_sleeps_while_there_is_no_input()
    {
        using var input = new WaitingAnsiInput(ReadFd, block: true, maxWaitMs: 300);

        var clock = Stopwatch.StartNew();
        Assert.False(input.Peek());

        Assert.True(clock.ElapsedMilliseconds >= 250, $"Peek returned after {clock.ElapsedMilliseconds} ms instead of waiting");
        Assert.Equal(1, input.Waits);
    }

    [Fact]
    public async Task Input_ends_the_wait_at_once()
    {
        using var input = new WaitingAnsiInput(ReadFd, block: true, maxWaitMs: 20_000);
        var clock = Stopwatch.StartNew();
        var peek = Task.Run(input.Peek);
        await Task.Delay(100);

        _writer.WriteByte((byte)'q');
        _writer.Flush();
        await peek.WaitAsync(Timeout);

        Assert.True(clock.ElapsedMilliseconds < 5000, $"the wait went on for {clock.ElapsedMilliseconds} ms after input");
    }

    [Fact]
    public async Task Stop_ends_the_wait_at_once_and_later_peeks_do_not_wait()
    {
        using var input = new WaitingAnsiInput(ReadFd, block: true, maxWaitMs: 20_000);
        var peek = Task.Run(input.Peek);
        await Task.Delay(100);

        var clock = Stopwatch.StartNew();
        input.Stop();
        await peek.WaitAsync(Timeout);
        Assert.True(clock.ElapsedMilliseconds < 5000, $"Stop took {clock.ElapsedMilliseconds} ms to end the wait");

        clock.Restart();
        Assert.False(input.Peek());
        Assert.True(clock.ElapsedMilliseconds < 1000);
    }

    [Fact]
    public void A_hung_up_input_is_no_longer_waited_on()
    {
        using var input = new WaitingAnsiInput(ReadFd, block: true, maxWaitMs: 20_000);
        _writer.Dispose(); // the writing end closes: poll reports POLLHUP at once

        var clock = Stopwatch.StartNew();
        input.Peek();
        input.Peek();

        Assert.False(input.Blocking);
        Assert.True(clock.ElapsedMilliseconds < 5000);
    }

    [Fact]
    public void Without_a_terminal_it_never_waits()
    {
        using var input = new WaitingAnsiInput(ReadFd, block: false, maxWaitMs: 20_000);

        var clock = Stopwatch.StartNew();
        Assert.False(input.Peek());

        Assert.True(clock.ElapsedMilliseconds < 1000);
        Assert.Equal(0, input.Waits);
    }

    [Fact]
    public void The_application_takes_the_waiting_input_through_terminal_gui_2_5s_component_factory()
    {
        // If a Terminal.Gui update renames the field the factory is set through, this fails (the TUI itself would fall
        // back to the stock, busier input).
        using var app = Application.Create();

        Assert.True(QuietApplication.TrySetInput(app, out var input));
        using (input)
        {
            Assert.NotNull(input);
            Assert.False(QuietApplication.TrySetInput(app, out _)); // a factory is set already: left alone
        }
    }
}
