using DevShell.Core.Presenters;
using DevShell.Tui.Hosting;
using DevShell.Tui.Views;
using Terminal.Gui.App;

namespace DevShell.Tui;

/// <summary>The TUI's entry point.</summary>
public static class TuiApp
{
    /// <summary>
    /// Runs the TUI until the user quits; returns 0. To open or attach a shell it leaves the terminal entirely
    /// (the Terminal.Gui application is disposed, which restores the terminal), calls the blocking backend method,
    /// and then starts a fresh application with the same state (filter, selection, history, events).
    /// A launch that throws is reported in a dialog and the TUI stays up.
    /// </summary>
    public static int Run(ITuiBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var serialized = new SerializedBackend(backend);
        var state = new TuiState();
        var theme = Theme.FromEnvironment();
        while (true)
        {
            var request = RunOnce(serialized, state, theme);
            if (request is null)
            {
                return 0;
            }

            RunShell(serialized, state, request);
        }
    }

    private static ShellRequest? RunOnce(SerializedBackend backend, TuiState state, Theme theme)
    {
        var (created, input) = QuietApplication.Create();
        IApplication app;
        try
        {
            app = created.Init();
        }
        catch
        {
            input?.Dispose(); // not handed to Terminal.Gui's input thread: restore the terminal here
            created.Dispose();
            throw;
        }

        using var running = app;
        using var pacing = IdleLoop.Attach(app, input);
        using var window = new MainWindow(backend, state, theme);
        try
        {
            app.Run(window);
        }
        finally
        {
            input?.Stop();
        }

        return window.PendingShell;
    }

    private static void RunShell(SerializedBackend backend, TuiState state, ShellRequest request)
    {
        var what = request.Attach ? $"second shell in {TuiFormat.Clean(request.Target)}" : $"shell in {TuiFormat.Clean(request.Target)}";
        try
        {
            var code = request.Attach ? backend.AttachShell(request.Target) : backend.OpenShell(request.Target);
            state.Message = $"{what} exited with {code}";
        }
        catch (Exception e)
        {
            state.Message = $"{what} failed";
            state.PendingErrorDialog = $"{what}: {e.Message}";
        }
    }
}
