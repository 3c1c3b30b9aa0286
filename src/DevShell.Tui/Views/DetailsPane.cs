using DevShell.Core.Presenters;
using DevShell.Core.Profiles;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace DevShell.Tui.Views;

/// <summary>The details pane: limits, network, mounts, masks, hooks and more of the selected profile.</summary>
internal sealed class DetailsPane : FrameView
{
    private readonly TextPane _text;
    private Profile? _profile;
    private Func<int, string>? _group;
    private string? _groupKey;
    private int _running;
    private int _renderedWidth = -1;
    private string _rendered = "";

    public DetailsPane()
    {
        Title = "Details";
        CanFocus = true;
        TabStop = TabBehavior.TabGroup;
        _text = new TextPane
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
            Height = Dim.Fill(),
        };
        Add(_text);
        _text.ViewportChanged += (_, _) => Render();
    }

    /// <summary>Shows <paramref name="profile"/> (null: a hint), with its number of running envs.</summary>
    public void Show(Profile? profile, int runningEnvs)
    {
        if (ReferenceEquals(profile, _profile) && runningEnvs == _running && _groupKey is null)
        {
            return;
        }

        _profile = profile;
        _running = runningEnvs;
        _group = null;
        _groupKey = null;
        _renderedWidth = -1;
        Render();
    }

    /// <summary>Shows a summary of a service group; <paramref name="key"/> changes when the summary would.</summary>
    public void ShowGroup(string title, string key, Func<int, string> render)
    {
        if (key == _groupKey)
        {
            return;
        }

        _profile = null;
        _group = render;
        _groupKey = key;
        _renderedWidth = -1;
        Title = title;
        Render();
    }

    private void Render()
    {
        var width = Math.Max(20, _text.Viewport.Width);
        if (width == _renderedWidth)
        {
            return;
        }

        _renderedWidth = width;
        var text = _group is not null ? _group(width)
            : _profile is null ? ProfileDetails.Empty(width)
            : ProfileDetails.Render(_profile, width, _running);
        if (text != _rendered)
        {
            _rendered = text;
            _text.Content = text;
        }

        if (_group is null)
        {
            Title = _profile is null ? "Details" : "Details: " + TuiFormat.Clean(_profile.Name);
        }
    }
}
