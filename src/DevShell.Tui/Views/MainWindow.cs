using DevShell.Core.Presenters;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace DevShell.Tui.Views;

/// <summary>
/// The main screen: profiles (grouped, filterable) and the selected profile's details on top, the running table
/// in the middle, events below, a status line and the key bar. Holds no logic beyond wiring: rows come from the
/// presenters, data from the refresh loop, actions go to the backend off the UI thread.
/// </summary>
internal sealed class MainWindow : Runnable
{
    private readonly ITuiBackend _backend;
    private readonly TuiState _state;
    private readonly Theme _theme;
    private readonly View _top;
    private readonly Label _statusLine;
    private RefreshLoop? _loop;
    private IApplication? _keyboardApp;
    private int _busyActions;
    private (IReadOnlyList<Profile> Profiles, string Group, string Counts, string Key)? _headingKey;

    public MainWindow(ITuiBackend backend, TuiState state, Theme theme)
    {
        _backend = backend;
        _state = state;
        _theme = theme;
        Title = "DevShell";
        Width = Dim.Fill();
        Height = Dim.Fill();
        CanFocus = true;

        _top = new View { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Percent(45), CanFocus = true, TabStop = TabBehavior.NoStop };
        Profiles = new ProfilesPane(theme) { X = 0, Y = 0, Width = Dim.Percent(38), Height = Dim.Fill() };
        Details = new DetailsPane { X = Pos.Right(Profiles), Y = 0, Width = Dim.Fill(), Height = Dim.Fill() };
        _top.Add(Profiles, Details);

        Running = new RunningPane(theme) { X = 0, Y = Pos.Bottom(_top), Width = Dim.Fill(), Height = Dim.Percent(28) };
        Events = new EventsPane(theme) { X = 0, Y = Pos.Bottom(Running), Width = Dim.Fill(), Height = Dim.Fill(2) };
        _statusLine = new Label { X = 0, Y = Pos.AnchorEnd(2), Width = Dim.Fill(), Height = 1, Text = "" };
        KeyBar = new StatusBar(KeyMap.All.Where(k => k.InStatusBar).Select(k => new Shortcut(KeyOf(k.Key), k.Label, () => Do(k.Action), null)));
        Add(_top, Running, Events, _statusLine, KeyBar);

        Profiles.Filter.Text = state.Filter;
        Profiles.SelectionChanged += (_, _) =>
        {
            _state.SelectedProfile = Profiles.SelectedProfile?.Name ?? _state.SelectedProfile;
            ShowDetails();
        };
        Running.FrameChanged += (_, _) => Running.Update(_state.Sessions, _state.Usage, DateTimeOffset.UtcNow, FreshSessions(DateTimeOffset.UtcNow));
        IsRunningChanged += (_, e) =>
        {
            if (e.Value)
            {
                Started();
            }
            else
            {
                Stopped();
            }
        };
    }

    public ProfilesPane Profiles { get; }

    public DetailsPane Details { get; }

    public RunningPane Running { get; }

    public EventsPane Events { get; }

    public StatusBar KeyBar { get; }

    /// <summary>Set when the window stopped to run a shell; null when the user quit.</summary>
    public ShellRequest? PendingShell { get; private set; }

    private void Started()
    {
        var app = App!;
        _theme.ApplyGlobally();
        _keyboardApp = app;
        app.Keyboard.KeyDown += OnAppKeyDown;

        // Show what we already know at once, then refresh every second.
        if (_state.SelectedProfile is { } selected)
        {
            Profiles.Select(selected);
        }

        Profiles.SetProfiles(_state.Profiles, _state.RunningCounts());
        ApplyState(DateTimeOffset.UtcNow);
        Do(_state.FocusedPane switch
        {
            2 => TuiAction.FocusDetails,
            3 => TuiAction.FocusRunning,
            4 => TuiAction.FocusEvents,
            _ => TuiAction.FocusProfiles,
        });
        _loop = new RefreshLoop(_backend, _state.Events.LastId, (snapshot, done) => app.Invoke(() =>
        {
            try
            {
                Apply(snapshot);
            }
            finally
            {
                done();
            }
        }), TimeSpan.FromSeconds(1));
        _loop.Start();

        if (_state.PendingErrorDialog is { } error)
        {
            _state.PendingErrorDialog = null;
            app.Invoke(() => ErrorDialog("Could not open the shell", error));
        }
    }

    private void Stopped()
    {
        _loop?.Dispose();
        _loop = null;
        if (_keyboardApp is not null)
        {
            _keyboardApp.Keyboard.KeyDown -= OnAppKeyDown;
            _keyboardApp = null;
        }

        _state.Filter = Profiles.Filter.Text;
    }

    /// <summary>Applies one refresh snapshot (UI thread).</summary>
    internal void Apply(TuiSnapshot snapshot)
    {
        if (snapshot.Profiles is not null)
        {
            _state.Profiles = snapshot.Profiles;
        }

        if (snapshot.Sessions is not null)
        {
            _state.Sessions = snapshot.Sessions;
            _state.Usage.Record(snapshot.At, snapshot.Usage, snapshot.Sessions.Select(s => s.Id));
        }

        // Events that happened before the TUI started are history, not news: only later ones are highlighted.
        // (Events from while the TUI was away running a shell do count as news when it comes back.)
        _state.Events.Add(snapshot.Events, _state.EventHistoryLoaded ? snapshot.At : DateTimeOffset.MinValue);
        if (snapshot.Error is null || !snapshot.Error.Contains("reading events", StringComparison.Ordinal))
        {
            _state.EventHistoryLoaded |= snapshot.Events.Count < RefreshLoop.MaxEventsPerTick;
        }
        _state.LastError = snapshot.Error;
        Profiles.SetProfiles(_state.Profiles, _state.RunningCounts());
        ApplyState(snapshot.At);
    }

    private void ApplyState(DateTimeOffset now)
    {
        Running.Update(_state.Sessions, _state.Usage, now, FreshSessions(now));
        Events.Update(_state.Events, now);
        ShowDetails();
        UpdateStatusLine();
    }

    private IReadOnlySet<string> FreshSessions(DateTimeOffset now) => _state.Events.SessionsWithFreshViolations(now, EventRows.HighlightFor);

    private void ShowDetails()
    {
        if (Profiles.SelectedItem is { IsHeading: true } heading)
        {
            var counts = _state.RunningCounts();
            var countsText = string.Join(",", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal));
            if (_headingKey is not { } cached || !ReferenceEquals(cached.Profiles, _state.Profiles) || cached.Group != heading.Group || cached.Counts != countsText)
            {
                // Fingerprinting serializes the group's profiles: only when the list, the group or the counts changed.
                var fingerprint = ProfileList.Fingerprint(_state.Profiles.Where(p => ProfileList.GroupOf(p) == heading.Group));
                _headingKey = cached = (_state.Profiles, heading.Group, countsText, heading.Group + "|" + fingerprint + "|" + countsText);
            }

            var key = cached.Key;
            Details.ShowGroup("Details: " + TuiFormat.Clean(heading.Group), key, width => ProfileDetails.GroupSummary(heading.Group, _state.Profiles, counts, width));
            return;
        }

        var profile = Profiles.SelectedProfile;
        var running = profile is null ? 0 : _state.Sessions.Count(s => s.Profile == profile.Name);
        Details.Show(profile, running);
    }

    private void UpdateStatusLine()
    {
        var text = _state.LastError is { } error
            ? "⚠ " + TuiFormat.Clean(error)
            : _state.Message ?? $"{_state.Profiles.Count} profiles · {_state.Sessions.Count} running · ? for help";
        if (_busyActions > 0)
        {
            text = "… " + text;
        }

        if (_statusLine.Text != text)
        {
            _statusLine.Text = text;
        }
    }

    private void ReplaceProfiles(IReadOnlyList<Profile> profiles)
    {
        _state.Profiles = profiles;
        Profiles.SetProfiles(profiles, _state.RunningCounts());
        ShowDetails();
    }

    private void SetMessage(string message)
    {
        _state.Message = message;
        UpdateStatusLine();
    }

    private void OnAppKeyDown(object? sender, Key key)
    {
        if (App?.TopRunnable != this || key.Handled)
        {
            return;
        }

        var focused = MostFocused;
        var typing = focused is TextField;
        if (key == Key.Esc)
        {
            key.Handled = true; // Esc never quits the main screen; q does.
            if (Profiles.Filter.Text.Length > 0)
            {
                Do(TuiAction.ClearFilter);
            }
            else if (focused == Profiles.Filter)
            {
                Profiles.List.SetFocus();
            }

            return;
        }

        if (key == Key.Enter)
        {
            key.Handled = true;
            if (focused == Profiles.Filter)
            {
                Profiles.List.SetFocus();
                Profiles.MoveToProfile();
            }
            else
            {
                Do(TuiAction.Open);
            }

            return;
        }

        if (focused == Profiles.Filter && key == Key.CursorDown)
        {
            key.Handled = true;
            Profiles.List.SetFocus();
            Profiles.MoveToProfile();
            return;
        }

        if (key == Key.Tab || key == Key.Tab.WithShift)
        {
            key.Handled = true;
            CyclePane(key == Key.Tab ? 1 : -1);
            return;
        }

        if (key == Key.F1)
        {
            key.Handled = true;
            Do(TuiAction.Help);
            return;
        }

        if (key == Key.Delete && !typing)
        {
            key.Handled = true;
            Do(TuiAction.Delete);
            return;
        }

        if (key == Key.C.WithCtrl && !typing)
        {
            key.Handled = true; // Ctrl+C quits like q (in a text field it copies)
            Do(TuiAction.Quit);
            return;
        }

        if (typing || key.IsCtrl || key.IsAlt)
        {
            return;
        }

        var text = key.AsGrapheme;
        if (text is { Length: 1 } && KeyMap.ForCharacter(text[0]) is { } action)
        {
            key.Handled = true;
            Do(action);
        }
    }

    private void CyclePane(int direction)
    {
        View[] order = [Profiles.List, Details, Running.Table, Events.List];
        var current = Array.FindIndex(order, v => v.HasFocus);
        var next = order[((current < 0 ? 0 : current + direction) % order.Length + order.Length) % order.Length];
        FocusPane(next);
    }

    private static void FocusPane(View view)
    {
        if (view is FrameView frame)
        {
            frame.SubViews.FirstOrDefault(v => v.CanFocus)?.SetFocus();
        }
        else
        {
            view.SetFocus();
        }
    }

    /// <summary>Runs one action; the status bar's shortcuts and the keys both come here.</summary>
    internal void Do(TuiAction action)
    {
        switch (action)
        {
            case TuiAction.Open:
                Open();
                break;
            case TuiAction.Filter:
                Profiles.Filter.SetFocus();
                break;
            case TuiAction.ClearFilter:
                Profiles.Filter.Text = "";
                break;
            case TuiAction.New:
                EditProfile(ProfileForm.NewProfile(Profiles.Profiles.Select(p => p.Name)), isNew: true);
                break;
            case TuiAction.Edit:
                if (SelectedProfileOrHint() is { } edit)
                {
                    EditProfile(ProfileForm.Copy(edit), isNew: false);
                }

                break;
            case TuiAction.Clone:
                if (SelectedProfileOrHint() is { } source)
                {
                    EditProfile(ProfileForm.CloneOf(source, Profiles.Profiles.Select(p => p.Name)), isNew: true);
                }

                break;
            case TuiAction.Delete:
                DeleteProfile();
                break;
            case TuiAction.Stop:
                StopSession();
                break;
            case TuiAction.Import:
                InBackground("importing presets", _backend.ImportPresets, () => SetMessage("presets imported (existing names kept)"));
                break;
            case TuiAction.Refresh:
                _loop?.TryTick();
                break;
            case TuiAction.Help:
                HelpDialog.Show(App!);
                break;
            case TuiAction.Quit:
                PendingShell = null;
                RequestStop();
                break;
            case TuiAction.FocusProfiles:
                Profiles.List.SetFocus();
                break;
            case TuiAction.FocusDetails:
                FocusPane(Details);
                break;
            case TuiAction.FocusRunning:
                Running.Table.SetFocus();
                break;
            case TuiAction.FocusEvents:
                Events.List.SetFocus();
                break;
        }
    }

    private void Open()
    {
        if (Running.Table.HasFocus)
        {
            if (Running.SelectedRow is { } row)
            {
                LeaveFor(new ShellRequest(Attach: true, row.SessionId));
            }
            else
            {
                SetMessage("no env selected: start one with Enter on a profile");
            }

            return;
        }

        if (SelectedProfileOrHint() is { } profile)
        {
            LeaveFor(new ShellRequest(Attach: false, profile.Name));
        }
    }

    private void LeaveFor(ShellRequest request)
    {
        PendingShell = request;
        _state.FocusedPane = Details.HasFocus ? 2 : Running.HasFocus ? 3 : Events.HasFocus ? 4 : 1;
        _state.SelectedProfile = Profiles.SelectedProfile?.Name ?? _state.SelectedProfile;
        RequestStop();
    }

    private Profile? SelectedProfileOrHint()
    {
        var profile = Profiles.SelectedProfile;
        if (profile is null)
        {
            SetMessage(Profiles.SelectedItem is { IsHeading: true } ? "that is a service heading: select a profile under it" : "no profile selected");
        }

        return profile;
    }

    private void EditProfile(Profile profile, bool isNew)
    {
        using var editor = new ProfileEditor(profile, isNew, SaveInBackground);
        App!.Run(editor);
        if (editor.Saved is { } saved)
        {
            // Show it at once; the next refresh brings the stored version (revision, timestamps).
            ReplaceProfiles(_state.Profiles.Where(p => p.Name != saved.Name).Append(saved).ToList());
            Profiles.Select(saved.Name);
            SetMessage($"profile {TuiFormat.Clean(saved.Name)} {(isNew ? "created" : "saved")}");
            _loop?.TryTick();
        }
    }

    /// <summary>Saves off the UI thread; reports back on the UI thread with null (saved) or the errors.</summary>
    private void SaveInBackground(Profile profile, bool isNew, Action<IReadOnlyList<ValidationError>?, string?> done)
    {
        var app = App!;
        _ = Task.Run(() =>
        {
            try
            {
                _backend.SaveProfile(profile, isNew);
                app.Invoke(() => done(null, null));
            }
            catch (DevShellInputException e)
            {
                app.Invoke(() => done(e.Errors, null));
            }
            catch (Exception e)
            {
                app.Invoke(() => done(null, e.Message));
            }
        });
    }

    private void DeleteProfile()
    {
        if (SelectedProfileOrHint() is not { } profile)
        {
            return;
        }

        var running = _state.Sessions.Count(s => s.Profile == profile.Name);
        var question = $"Delete profile {Display.Quote(profile.Name)}?" + (running > 0 ? $"\n{running} env(s) of it are running; they keep running." : "");
        // The last button is the default (Enter): make that the harmless one.
        if (MessageBox.Query(App!, "Delete profile", question, "_Delete", "_Cancel") != 0)
        {
            return;
        }

        var name = profile.Name;
        InBackground($"deleting {name}", () => _backend.DeleteProfile(name), () =>
        {
            ReplaceProfiles(_state.Profiles.Where(p => p.Name != name).ToList());
            SetMessage($"profile {TuiFormat.Clean(name)} deleted");
        });
    }

    private void StopSession()
    {
        if (Running.SelectedRow is not { } row)
        {
            SetMessage("no env selected: move to the running table (3) and pick one");
            return;
        }

        if (MessageBox.Query(App!, "Stop env", $"Stop {Display.Quote(row.SessionId)} ({Display.Quote(row.Profile)})?\nIts processes are killed.", "_Stop", "_Cancel") != 0)
        {
            return;
        }

        var id = row.SessionId;
        InBackground($"stopping {id}", () => _backend.StopSession(id), () => SetMessage($"env {TuiFormat.Clean(id)} stopped"));
    }

    /// <summary>Runs a backend action off the UI thread; on failure shows the error in a dialog.</summary>
    private void InBackground(string what, Action work, Action onSuccess)
    {
        var app = App!;
        _busyActions++;
        SetMessage(what + "…");
        _ = Task.Run(() =>
        {
            Exception? failure = null;
            try
            {
                work();
            }
            catch (Exception e)
            {
                failure = e;
            }

            app.Invoke(() =>
            {
                _busyActions--;
                if (failure is null)
                {
                    onSuccess();
                    _loop?.TryTick();
                }
                else
                {
                    SetMessage($"{what} failed");
                    ErrorDialog($"{char.ToUpperInvariant(what[0])}{what[1..]} failed", failure.Message);
                }
            });
        });
    }

    private void ErrorDialog(string title, string message)
    {
        if (App is { } app)
        {
            MessageBox.ErrorQuery(app, title, TuiFormat.CleanLines(message), "_OK");
        }
    }

    private static Key KeyOf(string text) => text switch
    {
        "Enter" => Key.Enter,
        "Tab" => Key.Tab,
        "Esc" => Key.Esc,
        _ => new Key(text),
    };
}
