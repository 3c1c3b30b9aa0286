using DevShell.Core.Formats;
using DevShell.Core.Tests.Support;
using DevShell.Core.Validation;

namespace DevShell.Core.Tests.Formats;

/// <summary>
/// Runs every file in tests/corpus through parse + validate. Each file's first line is
/// <c>// expect: &lt;substring of the error&gt;</c>; the input must be rejected with a <see cref="DevShellInputException"/>
/// whose message contains it. Huge inputs are generated here instead of being committed.
/// </summary>
public class HostileCorpusTests
{
    private const string ExpectPrefix = "// expect: ";
    private static readonly ValidationContext Host = new() { HomeDirectory = "/home/dev", DbPath = "/home/dev/.local/share/devshell/devshell.db" };

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepoPaths.Corpus, "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void Corpus_has_at_least_25_files() => Assert.True(Directory.GetFiles(RepoPaths.Corpus, "*.json").Length >= 25);

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Hostile_input_is_rejected_with_the_expected_field_message(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Corpus, file));
        var firstLine = text.Split('\n')[0];
        Assert.StartsWith(ExpectPrefix, firstLine, StringComparison.Ordinal);
        var expected = firstLine[ExpectPrefix.Length..].TrimEnd('\r');
        Assert.NotEmpty(expected);

        var e = Assert.ThrowsAny<DevShellInputException>(() => ProfileImport.Parse(text, file, Host));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.NotEmpty(e.Errors);
        Assert.DoesNotContain('\u001b', e.Message);
        Assert.DoesNotContain('\0', e.Message);
    }

    [Fact]
    public void A_1_MB_env_value_is_rejected_by_the_validator()
    {
        var text = "{\"name\":\"x\",\"env\":{\"BLOB\":\"" + new string('A', 1_000_000) + "\"}}";
        var e = Assert.Throws<ProfileValidationException>(() => ProfileImport.Parse(text, "generated", Host));
        Assert.EndsWith("is 1000000 bytes; at most 65536 are allowed", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length < 300, "the message must not echo the whole value");
    }

    [Fact]
    public void A_10_MB_string_is_rejected_before_parsing()
    {
        var text = "{\"name\":\"" + new string('n', 10 * 1024 * 1024) + "\"}";
        var e = Assert.Throws<ProfileFormatException>(() => ProfileImport.Parse(text, "generated", Host));
        Assert.Equal("generated: is over 10 MiB; a profile document may be at most 1 MiB", e.Message);
    }

    [Fact]
    public void Ten_thousand_errors_do_not_flood_memory_or_time()
    {
        var tags = string.Join(",", Enumerable.Range(0, 20_000).Select(i => "\"BAD\""));
        var text = "{\"name\":\"x\",\"tags\":[" + tags + "]}";
        var e = Assert.Throws<ProfileValidationException>(() => ProfileImport.Parse(text, "generated", Host));
        Assert.Equal("profile \"x\": tags has 20000 tags; at most 32 are allowed", e.Message);
    }
}
