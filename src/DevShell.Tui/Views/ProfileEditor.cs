using DevShell.Core.Presenters;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

// TextView is marked obsolete in Terminal.Gui 2.5 in favour of EditorView from the separate tui-cs/Editor package,
// which DevShell does not ship. It is still the only multi-line editor in the box and works; it is used here for the
// JSON editor only (read-only text uses TextPane).
#pragma warning disable CS0618

namespace DevShell.Tui.Views;

/// <summary>Saves a profile off the UI thread and calls back on the UI thread: (null, null) saved, (errors, null) invalid, (null, message) failed.</summary>
internal delegate void SaveProfile(Profile profile, bool isNew, Action<IReadOnlyList<ValidationError>?, string?> done);

/// <summary>
/// The profile form: simple fields for the common settings and, behind F2, the whole profile as JSON. Both are
/// checked with <see cref="ProfileValidator"/> on every change (problems shown under the fields, the bad fields
/// marked ✗), and Save stays refused until the profile is valid, so nothing invalid is stored. Errors the backend
/// reports on saving (e.g. a name already taken) are shown the same way.
/// </summary>
internal sealed class ProfileEditor : Window
{
    private const int LabelWidth = 12;
    private static readonly FormField[] TextFields =
        [FormField.Name, FormField.Service, FormField.Description, FormField.Shell, FormField.Workdir, FormField.Hostname, FormField.Memory, FormField.Cpu, FormField.Pids];

    private readonly Profile _original;
    private Profile _base;
    private readonly bool _isNew;
    private readonly SaveProfile _save;
    private readonly Dictionary<FormField, TextField> _fields = [];
    private readonly Dictionary<FormField, Label> _marks = [];
    private readonly OptionSelector _network;
    private readonly View _fieldsView;
    private readonly TextView _json;
    private readonly TextPane _problems;
    private readonly Button _saveButton;
    private readonly Button _modeButton;
    private bool _jsonMode;
    private bool _saving;
    private bool _loading;

    public ProfileEditor(Profile profile, bool isNew, SaveProfile save)
    {
        _original = profile;
        _base = profile;
        _isNew = isNew;
        _save = save;
        Title = isNew ? "New profile" : "Edit profile " + TuiFormat.Clean(profile.Name);
        X = Pos.Center();
        Y = Pos.Center();
        Width = Dim.Percent(96);
        Height = Dim.Percent(96);

        _fieldsView = new View { X = 0, Y = 0, Width = Dim.Fill(), Height = 10, CanFocus = true, TabStop = TabBehavior.TabGroup };
        _network = new OptionSelector
        {
            X = LabelWidth,
            Orientation = Orientation.Horizontal,
            Labels = [.. ProfileForm.NetworkModes],
            CanFocus = true,
        };
        _network.ValueChanged += (_, _) => Recheck();

        // Each label is added right before its input: Alt+<underlined letter> on a label focuses the view after it.
        var row = 0;
        foreach (var field in new[] { FormField.Name, FormField.Service, FormField.Description, FormField.Shell, FormField.Workdir, FormField.Hostname, FormField.NetworkMode, FormField.Memory, FormField.Cpu, FormField.Pids })
        {
            var label = new Label { X = 0, Y = row, Width = LabelWidth, Text = WithHotKey(ProfileForm.Label(field), ProfileForm.AccessKey(field)) };
            View input;
            if (field == FormField.NetworkMode)
            {
                _network.Y = row;
                input = _network;
            }
            else
            {
                var text = new TextField { X = LabelWidth, Y = row, Width = Dim.Fill(3), CanFocus = true };
                if (field == FormField.Name && !isNew)
                {
                    text.ReadOnly = true; // renaming is clone + delete
                }

                text.ValueChanged += (_, _) => Recheck();
                _fields[field] = text;
                input = text;
            }

            _fieldsView.Add(label, input);
            _marks[field] = new Label { X = Pos.AnchorEnd(2), Y = row, Width = 2, Text = "" };
            row++;
        }

        _fieldsView.Add([.. _marks.Values]);

        _json = new TextView
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
            Height = Dim.Fill(7), // leaves the problems (5 lines) and the buttons
            Visible = false,
            WordWrap = false,
            TabKeyAddsTab = false,
            CanFocus = true,
        };
        _json.ContentsChanged += (_, _) => Recheck();

        var problemsTitle = new Label { X = 0, Y = Pos.Bottom(_fieldsView) + 1, Text = "", Width = Dim.Fill() };
        _fieldsView.Height = 10;
        _problems = new TextPane
        {
            X = 0,
            Y = Pos.Bottom(problemsTitle),
            Width = Dim.Fill(),
            Height = Dim.Fill(1),
            CanFocus = false,
        };
        _problems.ViewportChanged += (_, _) => RenderProblems();
        ProblemsTitle = problemsTitle;

        _saveButton = new Button { Text = "_Save", IsDefault = true };
        var cancel = new Button { Text = "_Cancel" };
        _modeButton = new Button { Text = "_JSON (F2)" };
        _saveButton.X = Pos.Center() - 20;
        _saveButton.Y = Pos.AnchorEnd(1);
        cancel.X = Pos.Right(_saveButton) + 2;
        cancel.Y = Pos.AnchorEnd(1);
        _modeButton.X = Pos.Right(cancel) + 2;
        _modeButton.Y = Pos.AnchorEnd(1);
        _saveButton.Accepting += (_, e) =>
        {
            e.Handled = true;
            TrySave();
        };
        cancel.Accepting += (_, e) =>
        {
            e.Handled = true;
            RequestStop();
        };
        _modeButton.Accepting += (_, e) =>
        {
            e.Handled = true;
            ToggleMode();
        };

        Add(_fieldsView, _json, problemsTitle, _problems, _saveButton, cancel, _modeButton);
        LoadFields(ProfileForm.FromProfile(profile));

        // Long values (a description) should show their start; the fields can only scroll once they have a width.
        IsRunningChanged += (_, e) =>
        {
            if (e.Value)
            {
                foreach (var field in _fields.Values)
                {
                    field.InsertionPoint = 0;
                }

                (_isNew ? _fields[FormField.Name] : _fields[FormField.Service]).SetFocus();
            }
        };
    }

    private Label ProblemsTitle { get; }

    /// <summary>The profile as saved, or null when the editor was cancelled.</summary>
    public Profile? Saved { get; private set; }

    protected override bool OnKeyDown(Key key)
    {
        if (key == Key.F2)
        {
            ToggleMode();
            return true;
        }

        return base.OnKeyDown(key);
    }

    private void LoadFields(ProfileFormValues values)
    {
        _loading = true;
        try
        {
            foreach (var field in TextFields)
            {
                _fields[field].Text = values[field];
                _fields[field].InsertionPoint = 0; // show the start of long values
            }

            var mode = ProfileForm.NetworkModes.ToList().IndexOf(values.NetworkMode);
            _network.Value = mode >= 0 ? mode : 0;
        }
        finally
        {
            _loading = false;
        }

        Recheck();
    }

    private ProfileFormValues CurrentValues()
    {
        var v = ProfileForm.FromProfile(_base);
        foreach (var field in TextFields)
        {
            v = v.With(field, _fields[field].Text);
        }

        var mode = _network.Value is { } i && i >= 0 && i < ProfileForm.NetworkModes.Count ? ProfileForm.NetworkModes[i] : v.NetworkMode;
        return v.With(FormField.NetworkMode, mode);
    }

    private string? FixedName => _isNew ? null : _original.Name;

    private static string WithHotKey(string label, char key)
    {
        var i = label.IndexOf(key, StringComparison.OrdinalIgnoreCase);
        return i < 0 ? label : label.Insert(i, "_");
    }

    private void Recheck()
    {
        if (_loading)
        {
            return;
        }

        if (_jsonMode)
        {
            var check = ProfileForm.CheckJson(_original, _json.Text, fixedName: FixedName);
            ShowProblems(check.Errors);
        }
        else
        {
            var check = ProfileForm.Check(_base, CurrentValues(), fixedName: FixedName);
            ShowFieldCheck(check);
        }
    }

    private void ShowFieldCheck(FormCheck check)
    {
        foreach (var (field, mark) in _marks)
        {
            mark.Text = check.FieldErrors.ContainsKey(field) ? "✗" : "";
        }

        ShowProblems(check.AllErrors);
    }

    private void ShowProblems(IReadOnlyList<string> problems)
    {
        ProblemsTitle.Text = problems.Count switch
        {
            0 => "✓ valid",
            1 => "✗ 1 problem:",
            _ => $"✗ {problems.Count} problems:",
        };
        _problemLines = problems;
        RenderProblems();
        _saveButton.Enabled = !_saving;
    }

    private IReadOnlyList<string> _problemLines = [];

    private void RenderProblems()
    {
        var width = Math.Max(20, _problems.Viewport.Width);
        _problems.Content = string.Join('\n', _problemLines.SelectMany(p => ProfileDetails.Wrap("• " + TuiFormat.Clean(p), width)));
    }

    private void ToggleMode()
    {
        if (_jsonMode)
        {
            var check = ProfileForm.CheckJson(_original, _json.Text, fixedName: FixedName);
            if (check.Profile is null)
            {
                ShowProblems(["fix the JSON before going back to the fields:", .. check.Errors]);
                return;
            }

            // The fields now edit the JSON editor's profile, so settings only the JSON shows survive the round trip.
            _jsonMode = false;
            _base = check.Profile;
            LoadFields(ProfileForm.FromProfile(check.Profile));
        }
        else
        {
            var check = ProfileForm.Check(_base, CurrentValues(), fixedName: FixedName);
            _jsonMode = true;
            _json.Text = ProfileForm.ToJson(check.Profile);
        }

        _fieldsView.Visible = !_jsonMode;
        _json.Visible = _jsonMode;
        ProblemsTitle.Y = _jsonMode ? Pos.Bottom(_json) : Pos.Bottom(_fieldsView) + 1;
        _modeButton.Text = _jsonMode ? "Fi_elds (F2)" : "_JSON (F2)";
        (_jsonMode ? (View)_json : _fields[_isNew ? FormField.Name : FormField.Service]).SetFocus();
        Recheck();
    }

    private void TrySave()
    {
        if (_saving)
        {
            return;
        }

        Profile profile;
        if (_jsonMode)
        {
            var check = ProfileForm.CheckJson(_original, _json.Text, fixedName: FixedName);
            if (!check.IsValid)
            {
                ShowProblems(check.Errors);
                return;
            }

            profile = check.Profile!;
        }
        else
        {
            var check = ProfileForm.Check(_base, CurrentValues(), fixedName: FixedName);
            if (!check.IsValid)
            {
                ShowFieldCheck(check);
                if (check.FieldErrors.Keys.OrderBy(k => k).FirstOrDefault() is var first && _fields.TryGetValue(first, out var bad) && check.FieldErrors.ContainsKey(first))
                {
                    bad.SetFocus();
                }

                return;
            }

            profile = check.Profile;
        }

        _saving = true;
        _saveButton.Enabled = false;
        ProblemsTitle.Text = "saving…";
        _save(profile, _isNew, (errors, message) =>
        {
            _saving = false;
            _saveButton.Enabled = true;
            if (errors is null && message is null)
            {
                Saved = profile;
                RequestStop();
                return;
            }

            if (errors is not null)
            {
                var check = ProfileForm.WithErrors(profile, errors);
                if (_jsonMode)
                {
                    ShowProblems(check.AllErrors);
                }
                else
                {
                    ShowFieldCheck(check);
                }
            }
            else
            {
                ShowProblems(["could not save: " + message]);
            }
        });
    }
}
