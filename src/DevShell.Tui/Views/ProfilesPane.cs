using System.Collections.ObjectModel;
using DevShell.Core.Presenters;
using DevShell.Core.Profiles;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace DevShell.Tui.Views;

/// <summary>
/// The profiles pane: a filter field over a list of profiles grouped by service. Typing in the filter narrows the
/// list at once. Selection follows the profile (by name) across refreshes and filter changes.
/// </summary>
internal sealed class ProfilesPane : FrameView
{
    private readonly Theme _theme;
    private IReadOnlyList<ProfileListItem> _items = [];
    private IReadOnlyList<Profile> _profiles = [];
    private IReadOnlyDictionary<string, int> _running = new Dictionary<string, int>();
    private string _fingerprint = "";
    private string? _selectedName;
    private string? _pendingSelect;
    private bool _rebuilding;

    public ProfilesPane(Theme theme)
    {
        _theme = theme;
        Title = "Profiles";
        CanFocus = true;
        TabStop = TabBehavior.TabGroup;

        Filter = new TextField
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
        };
        FilterLabel = new Label { X = 0, Y = 0, Text = "/" };
        Filter.X = Pos.Right(FilterLabel);
        Filter.ValueChanged += (_, _) => Rebuild();

        List = new ListView
        {
            X = 0,
            Y = 1,
            Width = Dim.Fill(),
            Height = Dim.Fill(),
            CanFocus = true,
        };
        List.SetSource(new ObservableCollection<string>());
        List.ValueChanged += (_, _) =>
        {
            if (!_rebuilding)
            {
                _selectedName = SelectedItem?.ProfileName ?? _selectedName;
                _pendingSelect = null;
                SelectionChanged?.Invoke(this, EventArgs.Empty);
            }
        };
        List.RowRender += (_, e) =>
        {
            if (e.Row >= 0 && e.Row < _items.Count && _items[e.Row].IsHeading && !(e.Row == List.SelectedItem && List.HasFocus))
            {
                e.RowAttribute = _theme.Heading(List.GetAttributeForRole(Terminal.Gui.Drawing.VisualRole.Normal));
            }
        };
        Add(FilterLabel, Filter, List);
    }

    /// <summary>Raised when the selected line changes.</summary>
    public event EventHandler? SelectionChanged;

    public TextField Filter { get; }

    public Label FilterLabel { get; }

    public ListView List { get; }

    /// <summary>The selected line, or null.</summary>
    public ProfileListItem? SelectedItem =>
        List.SelectedItem is { } i && i >= 0 && i < _items.Count ? _items[i] : null;

    /// <summary>The selected profile (null on a heading or an empty list).</summary>
    public Profile? SelectedProfile =>
        SelectedItem?.ProfileName is { } name ? _profiles.FirstOrDefault(p => p.Name == name) : null;

    /// <summary>All profiles currently known.</summary>
    public IReadOnlyList<Profile> Profiles => _profiles;

    /// <summary>Takes a new list of profiles; does nothing when it equals the current one.</summary>
    public void SetProfiles(IReadOnlyList<Profile> profiles, IReadOnlyDictionary<string, int> runningCounts)
    {
        var runningChanged = !SameCounts(runningCounts, _running);
        if (ReferenceEquals(profiles, _profiles) && !runningChanged)
        {
            return; // the backend handed back the list it gave last time: nothing changed
        }

        var fingerprint = ProfileList.Fingerprint(profiles);
        if (fingerprint == _fingerprint && !runningChanged)
        {
            _profiles = profiles;
            return;
        }

        _fingerprint = fingerprint;
        _profiles = profiles;
        _running = runningCounts;
        Rebuild();
    }

    /// <summary>Selects a profile by name (after creating or cloning it).</summary>
    /// <remarks>If the profile is not listed yet (a refresh will bring it), it is selected as soon as it is.</remarks>
    public void Select(string name)
    {
        _pendingSelect = name;
        Rebuild();
    }

    /// <summary>Moves the selection to the next (or previous) profile line, skipping headings.</summary>
    public void MoveToProfile()
    {
        if (SelectedItem is { IsHeading: true } && List.SelectedItem is { } i && i + 1 < _items.Count)
        {
            List.SelectedItem = i + 1;
        }
    }

    private void Rebuild()
    {
        _rebuilding = true;
        try
        {
            var previousIndex = List.SelectedItem ?? 0;
            _items = ProfileList.Build(_profiles, Filter.Text, _running);
            var index = ProfileList.SelectionIndex(_items, _pendingSelect ?? _selectedName, previousIndex);
            List.SetSource(new ObservableCollection<string>(_items.Select(i => i.Text)));

            List.SelectedItem = index >= 0 ? index : null;
            Title = string.IsNullOrEmpty(Filter.Text)
                ? $"Profiles ({_profiles.Count})"
                : $"Profiles ({_items.Count(i => !i.IsHeading)}/{_profiles.Count})";
        }
        finally
        {
            _rebuilding = false;
        }

        // Remember the wanted profile while it is not listed (filtered out, or not yet refreshed after a save),
        // so it is selected again as soon as it shows up; otherwise follow what is selected.
        if (_pendingSelect is not null && _items.Any(i => i.ProfileName == _pendingSelect))
        {
            _pendingSelect = null;
        }

        _selectedName = SelectedItem?.ProfileName ?? _selectedName;

        SelectionChanged?.Invoke(this, EventArgs.Empty);
        SetNeedsDraw();
    }

    private static bool SameCounts(IReadOnlyDictionary<string, int> a, IReadOnlyDictionary<string, int> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
