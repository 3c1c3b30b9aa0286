using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Cli;

/// <summary>
/// Every file of the hostile corpus (tests/corpus) through `devshell profile import`: a field-level error, exit 2,
/// no stack trace, and the store exactly as it was. Also bad flags and names on the command line.
/// </summary>
[Collection("env")]
public sealed class HostileInputTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Every_corpus_file_is_refused_with_its_field_error_and_the_store_is_unchanged()
    {
        string home = Path.Combine(_cli.Dir, "home");
        Directory.CreateDirectory(home);
        _cli.Env["HOME"] = home;
        _cli.Env["DEVSHELL_DB"] = Path.Combine(home, ".local/share/devshell/devshell.db");
        var before = _cli.Run("profile", "export");
        Assert.Equal(0, before.Code);
        var files = Directory.GetFiles(Path.Combine(Artifacts.RepoRoot, "tests", "corpus"), "*.json");
        Assert.True(files.Length >= 25, $"the corpus has only {files.Length} files");
        var failures = new List<string>();
        foreach (var file in files)
        {
            string expect = File.ReadLines(file).First()["// expect:".Length..].Trim();
            var r = _cli.Run("profile", "import", file);
            if (r.Code != 2 || !r.Err.Contains(expect, StringComparison.Ordinal) || r.Err.Contains("   at ", StringComparison.Ordinal))
            {
                failures.Add($"{Path.GetFileName(file)}: expected exit 2 and \"{expect}\", got {r}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(before.Out, _cli.Run("profile", "export").Out);
        output.WriteLine($"{files.Length} hostile files refused");
    }

    [Theory]
    [InlineData(new[] { "profile", "clone", "orders-api", "../etc" }, "\"../etc\"")]
    [InlineData(new[] { "profile", "clone", "orders-api", "Bad Name" }, "\"Bad Name\"")]
    [InlineData(new[] { "run", "orders-api", "--status-file" }, "--status-file")]
    [InlineData(new[] { "top", "--interval", "abc" }, "abc")]
    [InlineData(new[] { "profile", "import", "/nonexistent/file.json" }, "/nonexistent/file.json")]
    public void Bad_command_line_input_exits_2_with_a_message_naming_it(string[] args, string named)
    {
        var before = _cli.Run("profile", "export");
        var r = _cli.Run(args);
        Assert.True(r.Code == 2, r.ToString());
        Assert.Contains(named, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.Equal(before.Out, _cli.Run("profile", "export").Out);
    }

    [Fact]
    public void Help_and_version_work_anywhere_and_a_command_without_them_parses_the_same()
    {
        // Without a help, version or directive argument the command line is parsed by a root without those options
        // (Cli.BuildLean); with one, by the whole tree. Both must behave as one CLI.
        var version = _cli.Run("--version");
        Assert.Equal(0, version.Code);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Out.Trim());
        var help = _cli.Run("run", "--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("devshell run <profile> [<command>...] [options]", help.Out, StringComparison.Ordinal);
        Assert.Contains("--status-file", help.Out, StringComparison.Ordinal);
        var missing = _cli.Run("run");
        Assert.Equal(2, missing.Code);
        Assert.Contains("Required argument missing for command: 'run'", missing.Err, StringComparison.Ordinal);
        var unknown = _cli.Run("profile", "lst");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("'lst'", unknown.Err, StringComparison.Ordinal);
        Assert.Equal(0, _cli.Run("profile", "list").Code);
    }

    [Fact]
    public void A_corrupted_database_gives_a_clear_message_and_db_recover_restores_the_backup()
    {
        Assert.Equal(0, _cli.Run("profile", "list").Code); // creates, seeds and backs up
        Assert.True(File.Exists(_cli.DbPath + ".bak"), "no backup was kept");
        var bytes = File.ReadAllBytes(_cli.DbPath);
        for (int i = 0; i < bytes.Length; i += 97) bytes[i] ^= 0x5A;
        File.WriteAllBytes(_cli.DbPath, bytes);
        var broken = _cli.Run("profile", "list");
        Assert.Equal(6, broken.Code);
        Assert.Contains("devshell db recover", broken.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", broken.Err, StringComparison.Ordinal);
        var recover = _cli.Run("db", "recover");
        Assert.True(recover.Code == 0, recover.ToString());
        var list = _cli.Run("profile", "list");
        Assert.Equal(0, list.Code);
        Assert.Contains("orders-api", list.Out, StringComparison.Ordinal);
    }
}
