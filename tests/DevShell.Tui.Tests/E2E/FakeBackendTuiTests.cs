using System.Text.RegularExpressions;
using DevShell.Tui.Tests.Support;
using Xunit.Abstractions;

namespace DevShell.Tui.Tests.E2E;

/// <summary>
/// The real TUI (this assembly's demo entry point) on the fake backend, driven in tmux at 80×24 like a user would.
/// No root needed: the fake's shells are plain bash processes. Views are checked as text on the screen.
/// </summary>
[Collection("tmux")]
public class FakeBackendTuiTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private bool Ready() =>
        Requires.Command("tmux", output, "apt-get install -y tmux") && Requires.Command("bash", output);

    private static Tmux StartDemo(int width = 80, int height = 24, Dictionary<string, string>? env = null)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? Requires.FindOnPath("dotnet") ?? "dotnet";
        var vars = new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/tmp",
            ["TERM"] = "xterm-256color",
        };
        foreach (var (k, v) in env ?? [])
        {
            vars[k] = v;
        }

        return Tmux.Start([dotnet, typeof(Program).Assembly.Location, "demo"], width, height, vars);
    }

    [Fact]
    public void Main_screen_fits_80x24_with_grouped_profiles_panes_and_the_key_bar()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitFor(s => s.Contains("billing-worker", StringComparison.Ordinal) && s.Contains("q  Quit", StringComparison.Ordinal), "the main screen", Wait);
        var screen = tmux.WaitForAll("Profiles (7)", "Details: billing-worker", "Limits      memory 768M", "Running (none)", "Events", "7 profiles · 0 running");
        Assert.Equal("80x24", tmux.PaneSize());
        var lines = screen.TrimEnd('\n').Split('\n');
        Assert.Equal(24, lines.Length);
        Assert.Contains("Profiles (7)", lines[0], StringComparison.Ordinal);
        Tmux.AssertShows(screen, "billing (1)");
        Tmux.AssertShows(screen, "orders (3)");
        Tmux.AssertShows(screen, "Details: billing-worker");
        Tmux.AssertShows(screen, "Limits      memory 768M");
        Tmux.AssertShows(screen, "Running (none)");
        Tmux.AssertShows(screen, "Events");
        Assert.Contains("Enter  Open", lines[^1], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(l.Length <= 80));
    }

    [Fact]
    public void Typing_a_filter_narrows_the_profiles_at_once_and_Esc_clears_it()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("/");
        tmux.Type("inv");
        // tmux can capture the pane between the title's redraw and the list's (seen once under a loaded 2-core run):
        // wait for a capture where the list is redrawn too; a filter that did not narrow the list times out here.
        var screen = tmux.WaitFor(
            s => s.Contains("Profiles (1/7)", StringComparison.Ordinal) && s.Contains("Details: inventory-svc", StringComparison.Ordinal)
                && !s.Contains("billing-worker", StringComparison.Ordinal),
            "the filter applied to the title, the details and the list");
        Tmux.AssertShows(screen, "inventory-svc");
        Tmux.AssertDoesNotShow(screen, "billing-worker");
        Tmux.AssertShows(screen, "Details: inventory-svc");

        tmux.Keys("Escape");
        tmux.WaitFor(s => s.Contains("Profiles (7)", StringComparison.Ordinal) && s.Contains("billing-worker", StringComparison.Ordinal), "the filter cleared");
    }

    [Fact]
    public void Enter_opens_the_profile_shell_on_the_terminal_and_the_tui_comes_back_after_exit()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("/");
        tmux.Type("orders-api");
        tmux.WaitForText("Details: orders-api");
        tmux.Keys("Enter");
        tmux.Keys("Enter");
        tmux.WaitForText("[fake orders-api]$", Wait);
        tmux.Type("echo host=$DEVSHELL_FAKE_HOSTNAME sum=$((6*7))");
        tmux.Keys("Enter");
        tmux.WaitForText("host=orders-api sum=42");
        tmux.Type("exit 3");
        tmux.Keys("Enter");

        tmux.WaitFor(s => s.Contains("shell in orders-api exited with 3", StringComparison.Ordinal), "the TUI back with the exit code", Wait);
        tmux.WaitForAll("Running (none)", "Profiles (1/7)"); // the env is gone; the filter survived
        tmux.WaitFor(s => s.Contains("EXIT", StringComparison.Ordinal) && s.Contains("START", StringComparison.Ordinal), "the env's start and exit events");

        tmux.Keys("q");
        tmux.WaitForText("TUI-EXITED 0");
        Assert.Contains("TTY-RESTORED", tmux.Screen(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_running_env_is_listed_and_Enter_on_it_attaches_a_second_shell()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo(120, 40, new() { ["DEVSHELL_FAKE_ENVS"] = "3", ["DEVSHELL_FAKE_VIOLATION_SECONDS"] = "3600" });
        var screen = tmux.WaitFor(s => s.Contains("Running (3)", StringComparison.Ordinal) && s.Contains('%'), "three running envs with usage", Wait);
        Tmux.AssertShows(screen, "billing-worke");
        Tmux.AssertShows(screen, "10.88.0.");
        Assert.Matches("[▁▂▃▄▅▆▇█]", screen);

        tmux.Keys("3");
        tmux.Keys("Enter");
        tmux.WaitForText("[fake billing-worker (attached)]$", Wait);
        tmux.Type("exit");
        tmux.Keys("Enter");
        screen = tmux.WaitForText("second shell in billing-worker-001 exited with 0", Wait);
        Tmux.AssertShows(screen, "Running (3)");
    }

    [Fact]
    public void A_failed_launch_shows_the_error_and_the_tui_stays_up()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo(env: new() { ["DEVSHELL_FAKE_OPEN_FAILS"] = "cgroup controller memory is not mounted (mount it or use cgroup v2)" });
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("Enter");
        var screen = tmux.WaitForText("cgroup controller memory is not mounted", Wait);
        Tmux.AssertShows(screen, "Could not open the shell");
        tmux.Keys("Enter");
        screen = tmux.WaitFor(s => !s.Contains("Could not open", StringComparison.Ordinal) && s.Contains("shell in billing-worker failed", StringComparison.Ordinal), "the dialog closed");
        Tmux.AssertShows(screen, "Profiles (7)");
    }

    [Fact]
    public void The_new_profile_form_shows_validation_inline_and_saves_only_a_valid_profile()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("n");
        tmux.WaitForText("New profile");
        tmux.ClearField();
        tmux.Type("Bad Name");
        var screen = tmux.WaitForText("is not a valid name");
        Tmux.AssertShows(screen, "✗ 1 problem");
        Assert.Contains("✗", Tmux.LineWith(screen, "Bad Name"), StringComparison.Ordinal);

        tmux.Keys("Enter"); // refused: still in the form
        tmux.WaitForText("is not a valid name");

        tmux.ClearField();
        tmux.Type("payments-api");
        tmux.WaitForText("✓ valid");
        tmux.Keys("Enter");
        tmux.WaitForText("profile payments-api created", Wait);

        // The next refresh brings the stored profile, and it is selected.
        screen = tmux.WaitFor(s => s.Contains("Profiles (8)", StringComparison.Ordinal) && s.Contains("Details: payments-api", StringComparison.Ordinal), "the new profile listed and selected");
        Tmux.AssertShows(screen, "(no service) (1)");
    }

    [Fact]
    public void Editing_a_profile_validates_each_change_and_the_json_editor_shows_the_same_profile()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("e");
        tmux.WaitForAll("Edit profile billing-worker", "✓ valid");

        tmux.Keys("M-m"); // Alt+M: the Memory field
        tmux.ClearField();
        tmux.Type("12XB");
        tmux.WaitForAll("limits.memory \"12XB\" is not a size (use e.g. 512M, 2G)", "✗ 1 problem");
        tmux.ClearField();
        tmux.Type("1G");
        tmux.WaitForText("✓ valid");

        tmux.Keys("M-d"); // Alt+D: the Description field
        tmux.ClearField(120);
        tmux.Type("Edited in the TUI");

        // F2: the JSON editor shows the profile with the field edits; F2 again returns to the fields.
        tmux.Keys("F2");
        tmux.WaitForAll("\"description\": \"Edited in the TUI\"", "\"name\": \"billing-worker\"", "Fields (F2)", "✓ valid");
        tmux.Keys("F2");
        tmux.WaitForText("JSON (F2)");

        tmux.Keys("Enter");
        tmux.WaitForAll("profile billing-worker saved", "Limits      memory 1G", "About       Edited in the TUI");
    }

    [Fact]
    public void Stop_ends_the_selected_env_after_asking()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo(120, 40, new() { ["DEVSHELL_FAKE_ENVS"] = "2", ["DEVSHELL_FAKE_VIOLATION_SECONDS"] = "3600" });
        tmux.WaitForText("Running (2)", Wait);
        tmux.Keys("3");
        tmux.Keys("s");
        tmux.WaitForText("Stop \"billing-worker-001\"");
        tmux.Keys("M-s");
        tmux.WaitForAll("env billing-worker-001 stopped", "Running (1)", "STOP");
    }

    [Fact]
    public void Import_brings_back_a_deleted_preset()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("d");
        tmux.WaitForText("Delete profile \"billing-worker\"?");
        tmux.Keys("M-d");
        tmux.WaitForAll("profile billing-worker deleted", "Profiles (6)");
        tmux.Keys("i");
        tmux.WaitForAll("presets imported", "Profiles (7)", "  billing-worker");
    }

    [Fact]
    public void Delete_asks_first_and_Enter_keeps_the_profile()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("d");
        tmux.WaitForText("Delete profile \"billing-worker\"?");
        tmux.Keys("Enter");
        var screen = tmux.WaitFor(s => !s.Contains("Delete profile", StringComparison.Ordinal), "the question closed");
        Tmux.AssertShows(screen, "Profiles (7)");

        tmux.Keys("d");
        tmux.WaitForText("Delete profile \"billing-worker\"?");
        tmux.Keys("M-d");
        screen = tmux.WaitForText("profile billing-worker deleted");
        Tmux.AssertShows(screen, "Profiles (6)");
        Tmux.AssertDoesNotShow(screen, "  billing-worker");
    }

    [Fact]
    public void A_new_violation_is_highlighted_in_the_events_pane_and_its_env_row()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo(120, 40, new() { ["DEVSHELL_FAKE_ENVS"] = "2", ["DEVSHELL_FAKE_VIOLATION_SECONDS"] = "2", ["NO_COLOR"] = "1" });
        var screen = tmux.WaitFor(s => s.Contains("new violation", StringComparison.Ordinal), "a violation", Wait);
        var eventLine = new Regex(@"\d\d:\d\d:\d\d ⚠ (OOM|PIDS MAX|THROTTLE|EGRESS) ");
        Assert.Matches(eventLine, screen);

        // Without colour, a fresh violation is drawn in bold reverse video, in the events pane and on its env's row.
        var styled = tmux.ScreenWithEscapes().Split('\n');
        var styledEvent = styled.First(l => eventLine.IsMatch(Regex.Replace(l, "\u001b\\[[0-9;]*m", "")));
        Assert.Contains("\u001b[1;7m", styledEvent, StringComparison.Ordinal);
        var styledRow = styled.First(l => Regex.Replace(l, "\u001b\\[[0-9;]*m", "").Contains("│⚠ ", StringComparison.Ordinal));
        Assert.Contains("\u001b[1;7m", styledRow, StringComparison.Ordinal);
    }

    [Fact]
    public void With_NO_COLOR_the_screen_has_no_colour_codes()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo(env: new() { ["NO_COLOR"] = "1", ["DEVSHELL_FAKE_ENVS"] = "2" });
        tmux.WaitFor(s => s.Contains("Running (2)", StringComparison.Ordinal), "the main screen", Wait);
        Assert.Empty(Tmux.ColourSequences(tmux.ScreenWithEscapes()));

        using var coloured = StartDemo(env: new() { ["DEVSHELL_FAKE_ENVS"] = "2" });
        coloured.WaitFor(s => s.Contains("Running (2)", StringComparison.Ordinal), "the main screen", Wait);
        Assert.NotEmpty(Tmux.ColourSequences(coloured.ScreenWithEscapes()));
    }

    [Fact]
    public void Resizing_redraws_the_layout_for_the_new_size()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo(env: new() { ["DEVSHELL_FAKE_ENVS"] = "3" });
        tmux.WaitForText("wider terminal shows NET", Wait);

        tmux.Resize(160, 48);
        static string[] Lines(string s) => s.TrimEnd('\n').Split('\n');
        var screen = tmux.WaitFor(
            s => s.Contains("NET/s", StringComparison.Ordinal) && !s.Contains("wider terminal", StringComparison.Ordinal)
                && Lines(s).Length == 48 && Lines(s)[^1].Contains("q  Quit", StringComparison.Ordinal),
            "the wide layout down to the key bar on line 48");
        var lines = Lines(screen);
        Assert.EndsWith("╮", lines[0].TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(160, lines[0].TrimEnd().Length);

        tmux.Resize(80, 24);
        tmux.WaitFor(
            s => s.Contains("wider terminal shows NET", StringComparison.Ordinal) && Lines(s).Length == 24 && Lines(s)[^1].Contains("q  Quit", StringComparison.Ordinal),
            "the narrow layout again");
    }

    [Fact]
    public void Ctrl_C_quits_and_leaves_the_terminal_as_it_found_it()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("C-c");
        tmux.WaitForAll("TTY-RESTORED", "TUI-EXITED 0");
    }

    [Fact]
    public void Help_lists_the_keys()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartDemo();
        tmux.WaitForText("billing-worker", Wait);
        tmux.Keys("?");
        tmux.WaitForAll("DevShell keys", "Open the profile's shell", "Quit the TUI");
        tmux.Keys("Escape");
        tmux.WaitFor(s => !s.Contains("DevShell keys", StringComparison.Ordinal), "help closed");
    }
}

[CollectionDefinition("tmux", DisableParallelization = true)]
public class TmuxTests;
