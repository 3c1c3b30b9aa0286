using System.Runtime.CompilerServices;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;

namespace DevShell.Tui.Hosting;

/// <summary>
/// Creates the Terminal.Gui application with <see cref="WaitingAnsiInput"/> as its input.
/// </summary>
/// <remarks>
/// Terminal.Gui 2.5 chooses its input through a component factory, but only its tests can hand one in (the
/// constructor that takes it is internal). <see cref="Create"/> makes the application the public way and then sets
/// that factory — before <c>Init</c>, the only time it is read — through an <see cref="UnsafeAccessorAttribute"/>
/// (bound at compile time, NativeAOT-safe, no reflection). If a Terminal.Gui update renames the field or the type, the
/// accessor throws (<see cref="MissingFieldException"/>, <see cref="TypeLoadException"/>) and the TUI runs with the stock
/// input (working, only busier, see <see cref="IdleLoop.PollingIdleWaitMs"/>);
/// a test in <c>WaitingAnsiInputTests</c> fails in that case so the update is noticed.
/// </remarks>
internal static class QuietApplication
{
    /// <summary>The application and the input it will use (null when the stock input is used).</summary>
    public static (IApplication App, WaitingAnsiInput? Input) Create()
    {
        var app = Application.Create();
        if (Console.IsInputRedirected || !TrySetInput(app, out var input))
        {
            return (app, null);
        }

        return (app, input);
    }

    /// <summary>Hands <paramref name="app"/> (not yet initialized) a factory whose input is a new <see cref="WaitingAnsiInput"/>.</summary>
    internal static bool TrySetInput(IApplication app, out WaitingAnsiInput? input)
    {
        input = null;
        try
        {
            ref var factory = ref ComponentFactoryOf(app);
            if (factory is not null)
            {
                return false;
            }

            input = new WaitingAnsiInput();
            factory = new AnsiComponentFactory(input);
            return true;
        }
        catch (Exception e) when (e is MissingMemberException or TypeLoadException)
        {
            input?.Dispose();
            input = null;
            return false;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_componentFactory")]
    private static extern ref IComponentFactory? ComponentFactoryOf([UnsafeAccessorType("Terminal.Gui.App.ApplicationImpl, Terminal.Gui")] object app);
}
