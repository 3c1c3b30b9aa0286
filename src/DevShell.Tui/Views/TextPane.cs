using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;

namespace DevShell.Tui.Views;

/// <summary>
/// Read-only lines of text that scroll with the arrow keys, PageUp/PageDown, Home/End and the mouse wheel.
/// (Terminal.Gui 2.5 marks its TextView obsolete; this covers the read-only uses without it.)
/// Lines are drawn as given; wrap them before (see <c>ProfileDetails.Wrap</c>) when needed.
/// </summary>
internal sealed class TextPane : View
{
    private string[] _lines = [];
    private string _text = "";

    public TextPane()
    {
        CanFocus = true;
        ViewportSettings |= ViewportSettingsFlags.AllowYGreaterThanContentHeight;
        AddCommand(Command.Up, () => Scroll(-1));
        AddCommand(Command.Down, () => Scroll(1));
        AddCommand(Command.PageUp, () => Scroll(-Math.Max(1, Viewport.Height - 1)));
        AddCommand(Command.PageDown, () => Scroll(Math.Max(1, Viewport.Height - 1)));
        AddCommand(Command.Start, () => ScrollTo(0));
        AddCommand(Command.End, () => ScrollTo(int.MaxValue));
        KeyBindings.Add(Key.CursorUp, Command.Up);
        KeyBindings.Add(Key.CursorDown, Command.Down);
        KeyBindings.Add(Key.PageUp, Command.PageUp);
        KeyBindings.Add(Key.PageDown, Command.PageDown);
        KeyBindings.Add(Key.Home, Command.Start);
        KeyBindings.Add(Key.End, Command.End);
    }

    /// <summary>The text shown; setting the same text again keeps the scroll position.</summary>
    public string Content
    {
        get => _text;
        set
        {
            if (value == _text)
            {
                return;
            }

            _text = value;
            _lines = value.Length == 0 ? [] : value.Split('\n');
            ScrollTo(Viewport.Y);
            SetNeedsDraw();
        }
    }

    /// <summary>Number of lines.</summary>
    public int LineCount => _lines.Length;

    protected override bool OnDrawingContent(DrawContext? context)
    {
        for (var row = 0; row < Viewport.Height; row++)
        {
            var index = Viewport.Y + row;
            if (index >= _lines.Length)
            {
                break;
            }

            Move(0, row);
            AddStr(_lines[index]);
        }

        return true;
    }

    protected override bool OnMouseEvent(Terminal.Gui.Input.Mouse mouse)
    {
        ArgumentNullException.ThrowIfNull(mouse);
        if (mouse.Flags.HasFlag(MouseFlags.WheeledDown))
        {
            Scroll(3);
            return true;
        }

        if (mouse.Flags.HasFlag(MouseFlags.WheeledUp))
        {
            Scroll(-3);
            return true;
        }

        return base.OnMouseEvent(mouse);
    }

    private bool Scroll(int rows) => ScrollTo(Viewport.Y + rows);

    private bool ScrollTo(int top)
    {
        var max = Math.Max(0, _lines.Length - Viewport.Height);
        var y = Math.Clamp(top, 0, max);
        if (y != Viewport.Y)
        {
            Viewport = Viewport with { Y = y };
            SetNeedsDraw();
        }

        return true;
    }
}
