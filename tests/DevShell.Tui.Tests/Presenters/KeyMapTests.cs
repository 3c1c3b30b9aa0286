using DevShell.Core.Presenters;

namespace DevShell.Tui.Tests.Presenters;

public class KeyMapTests
{
    [Fact]
    public void Every_single_character_key_in_help_triggers_the_action_it_documents()
    {
        foreach (var key in KeyMap.All.Where(k => k.Key.Length == 1))
        {
            Assert.Equal(key.Action, KeyMap.ForCharacter(key.Key[0]));
        }
    }

    [Fact]
    public void Pane_keys_and_unbound_characters()
    {
        Assert.Equal(TuiAction.FocusProfiles, KeyMap.ForCharacter('1'));
        Assert.Equal(TuiAction.FocusEvents, KeyMap.ForCharacter('4'));
        Assert.Null(KeyMap.ForCharacter('x'));
        Assert.Null(KeyMap.ForCharacter('N'));
    }

    [Fact]
    public void The_status_bar_shows_open_filter_new_edit_stop_help_and_quit()
    {
        Assert.Equal(["Open", "Filter", "New", "Edit", "Stop", "Help", "Quit"], KeyMap.All.Where(k => k.InStatusBar).Select(k => k.Label));
    }

    [Fact]
    public void Help_lists_every_key_with_its_description()
    {
        var lines = KeyMap.HelpText().Split('\n');
        Assert.Equal(KeyMap.All.Count, lines.Length);
        Assert.All(KeyMap.All.Zip(lines), x => Assert.StartsWith(x.First.Key, x.Second, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("attach a second shell", StringComparison.Ordinal));
    }
}
