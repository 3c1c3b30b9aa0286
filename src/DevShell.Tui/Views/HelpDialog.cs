using DevShell.Core.Presenters;
using Terminal.Gui.App;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace DevShell.Tui.Views;

/// <summary>The keys, from <see cref="KeyMap"/>.</summary>
internal static class HelpDialog
{
    public static void Show(IApplication app)
    {
        using var dialog = new Dialog { Title = "DevShell keys", Width = Dim.Percent(94), Height = Dim.Percent(96) };
        var text = new TextPane { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill() };
        text.ViewportChanged += (_, _) => text.Content = HelpText(Math.Max(20, text.Viewport.Width));
        dialog.Add(text);
        dialog.AddButton(new Button { Text = "_Close", IsDefault = true });

        // Focus the text so the arrow keys scroll it on small terminals; Enter or Esc closes.
        dialog.IsRunningChanged += (_, e) =>
        {
            if (e.Value)
            {
                text.SetFocus();
            }
        };
        app.Run(dialog);
    }

    /// <summary>The key table and a legend, wrapped to <paramref name="width"/>.</summary>
    public static string HelpText(int width)
    {
        var keyWidth = KeyMap.All.Max(k => k.Key.Length) + 2;
        var lines = new List<string>();
        foreach (var key in KeyMap.All)
        {
            var wrapped = ProfileDetails.Wrap(key.Description, Math.Max(10, width - keyWidth));
            lines.AddRange(wrapped.Select((l, i) => (i == 0 ? key.Key : "").PadRight(keyWidth) + l));
        }

        lines.Add("");
        lines.AddRange(ProfileDetails.Wrap(
            "Running envs: CPU is charted against the env's CPU limit (or the host's cores), memory against its limit. "
            + "⚠ marks violations (OOM, pids limit, throttling, blocked egress); a new one is shown inverse for 10 s. "
            + "● after a profile counts its running envs.", width));
        return string.Join('\n', lines);
    }
}
