using Terminal.Gui.Configuration;
using Terminal.Gui.Drawing;
using Attribute = Terminal.Gui.Drawing.Attribute;

namespace DevShell.Tui;

/// <summary>
/// The TUI's few colours, and their NO_COLOR variants. With NO_COLOR set (to anything but the empty string, see
/// https://no-color.org) every scheme uses the terminal's own default colours (SGR 39/49) and emphasis is carried by
/// text style only: bold for violations and headings, reverse video for focus and fresh violations. Marks such as
/// ⚠ and ● carry the meaning too, so nothing depends on colour.
/// </summary>
internal sealed class Theme
{
    public Theme(bool monochrome)
    {
        Monochrome = monochrome;
    }

    /// <summary>True when colours are off (NO_COLOR).</summary>
    public bool Monochrome { get; }

    /// <summary>The theme the environment asks for.</summary>
    public static Theme FromEnvironment() => new(!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")));

    /// <summary>Replaces every registered scheme with a colourless one when <see cref="Monochrome"/>. Call after Init.</summary>
    public void ApplyGlobally()
    {
        if (!Monochrome)
        {
            return;
        }

        var mono = MonochromeScheme();
        foreach (var name in SchemeManager.GetSchemeNames())
        {
            SchemeManager.AddScheme(name, mono);
        }
    }

    /// <summary>A scheme without colours: default foreground/background, focus in reverse video.</summary>
    public static Scheme MonochromeScheme()
    {
        var none = Color.None;
        return new Scheme
        {
            Normal = new Attribute(none, none, TextStyle.None),
            HotNormal = new Attribute(none, none, TextStyle.Underline),
            Focus = new Attribute(none, none, TextStyle.Reverse),
            HotFocus = new Attribute(none, none, TextStyle.Reverse | TextStyle.Underline),
            Active = new Attribute(none, none, TextStyle.Reverse | TextStyle.Bold),
            HotActive = new Attribute(none, none, TextStyle.Reverse | TextStyle.Bold | TextStyle.Underline),
            Highlight = new Attribute(none, none, TextStyle.Bold),
            Editable = new Attribute(none, none, TextStyle.Underline),
            ReadOnly = new Attribute(none, none, TextStyle.None),
            Disabled = new Attribute(none, none, TextStyle.Faint),
        };
    }

    /// <summary>A violation seen a while ago.</summary>
    public Attribute Violation(Attribute normal) =>
        Monochrome ? new Attribute(Color.None, Color.None, TextStyle.Bold) : new Attribute(new Color(ColorName16.BrightRed), normal.Background, TextStyle.Bold);

    /// <summary>A violation that has just arrived.</summary>
    public Attribute FreshViolation(Attribute normal) =>
        Monochrome ? new Attribute(Color.None, Color.None, TextStyle.Reverse | TextStyle.Bold) : new Attribute(new Color(ColorName16.White), new Color(ColorName16.Red), TextStyle.Bold);

    /// <summary>A group heading in the profiles pane.</summary>
    public Attribute Heading(Attribute normal) =>
        Monochrome ? new Attribute(Color.None, Color.None, TextStyle.Bold | TextStyle.Underline) : new Attribute(normal.Foreground, normal.Background, TextStyle.Bold);

    /// <summary>
    /// A scheme for a usage cell at <paramref name="load"/> (use against limit, 0..1+): green, yellow from 70%,
    /// red from 90%; the base scheme itself when monochrome or unknown (NaN).
    /// </summary>
    public Scheme Load(Scheme baseScheme, double load)
    {
        if (Monochrome || double.IsNaN(load))
        {
            return baseScheme;
        }

        var fg = load >= 0.9 ? ColorName16.BrightRed : load >= 0.7 ? ColorName16.BrightYellow : ColorName16.BrightGreen;
        return new Scheme(baseScheme) { Normal = new Attribute(new Color(fg), baseScheme.Normal.Background) };
    }

    /// <summary>The scheme of a running-table row with a fresh violation.</summary>
    public Scheme FreshViolationRow(Scheme baseScheme) =>
        new(baseScheme) { Normal = FreshViolation(baseScheme.Normal) };
}
