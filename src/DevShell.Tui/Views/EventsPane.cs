using System.Collections.ObjectModel;
using DevShell.Core.Presenters;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace DevShell.Tui.Views;

/// <summary>
/// The events pane, newest first: violations (OOM, pids limit, throttling, blocked egress) and lifecycle events.
/// A violation is drawn inverse for <see cref="EventRows.HighlightFor"/> from the moment it arrives, then in the
/// warning colour; the pane title counts the fresh ones.
/// </summary>
internal sealed class EventsPane : FrameView
{
    private readonly Theme _theme;
    private IReadOnlyList<EventRow> _rows = [];
    private EventRows.RenderKey? _key;

    public EventsPane(Theme theme)
    {
        _theme = theme;
        Title = "Events";
        CanFocus = true;
        TabStop = TabBehavior.TabGroup;
        List = new ListView
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
            Height = Dim.Fill(),
            CanFocus = true,
        };
        List.SetSource(new ObservableCollection<string>());
        List.RowRender += (_, e) =>
        {
            if (e.Row < 0 || e.Row >= _rows.Count || (e.Row == List.SelectedItem && List.HasFocus))
            {
                return;
            }

            // Unfocused, the list shows no selection: only violations stand out.
            var normal = List.GetAttributeForRole(VisualRole.Normal);
            e.RowAttribute = _rows[e.Row].Style switch
            {
                EventStyle.FreshViolation => _theme.FreshViolation(normal),
                EventStyle.Violation => _theme.Violation(normal),
                _ => normal,
            };
        };
        Add(List);
    }

    public ListView List { get; }

    /// <summary>Redraws the lines from the log, when they can have changed (see <see cref="EventRows.KeyFor"/>).</summary>
    public void Update(EventLog log, DateTimeOffset now)
    {
        var offset = TimeZoneInfo.Local.GetUtcOffset(now);
        var key = EventRows.KeyFor(log, now, offset);
        if (key == _key)
        {
            return;
        }

        _key = key;
        var rows = EventRows.Build(log, now, offset);
        var changed = rows.Count != _rows.Count || rows.Where((r, i) => r != _rows[i]).Any();
        var title = EventRows.Title(log, now);
        if (Title != title)
        {
            Title = title;
        }

        if (!changed)
        {
            return;
        }

        var selectedId = List.SelectedItem is { } s && s < _rows.Count ? _rows[s].Id : (long?)null;
        var wasAtTop = List.SelectedItem is null or 0;
        _rows = rows;
        List.SetSource(new ObservableCollection<string>(rows.Select(r => r.Text)));
        if (rows.Count > 0)
        {
            // Stay on the top (newest) line unless the user moved to an older one.
            var index = wasAtTop || selectedId is null ? 0 : Math.Max(0, rows.ToList().FindIndex(r => r.Id == selectedId));
            List.SelectedItem = index;
        }

        List.SetNeedsDraw();
    }
}
