using System.Text;
using DevShell.Core.Formats;
using DevShell.Core.Tests.Support;
using DevShell.Core.Validation;

namespace DevShell.Core.Tests.Formats;

/// <summary>Mutated presets (seeded, reproducible) must either import or fail with a <see cref="DevShellInputException"/>; nothing else.</summary>
public class ImportFuzzTests
{
    private static readonly string[] Tokens =
        ["null", "-1", "1e309", "\"\\u0000\"", "[]", "{}", "\"../..\"", "true", "\"\\ud800\"", "99999999999", ",", "}", "]", "\"", ":", "/*", "//"];

    [Fact]
    public void Mutated_presets_never_throw_anything_but_input_errors()
    {
        var presets = Directory.GetFiles(RepoPaths.Profiles, "*.json")
            .Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal))
            .Select(File.ReadAllText).ToArray();
        var random = new Random(20250301);
        var accepted = 0;
        for (var i = 0; i < 3000; i++)
        {
            var text = Mutate(presets[random.Next(presets.Length)], random);
            try
            {
                ProfileImport.Parse(text, "fuzz.json");
                accepted++;
            }
            catch (DevShellInputException e)
            {
                Assert.NotEmpty(e.Errors);
                Assert.DoesNotContain('\0', e.Message);
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: {e.GetType().Name}: {e.Message}\n--- input ---\n{text}");
            }
        }

        Assert.InRange(accepted, 1, 2999);
    }

    private static string Mutate(string text, Random random)
    {
        var builder = new StringBuilder(text);
        for (var edits = random.Next(1, 4); edits > 0 && builder.Length > 0; edits--)
        {
            var at = random.Next(builder.Length);
            switch (random.Next(4))
            {
                case 0:
                    builder.Remove(at, Math.Min(random.Next(1, 20), builder.Length - at));
                    break;
                case 1:
                    builder.Insert(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 2:
                    builder[at] = (char)random.Next(0, 128);
                    break;
                default:
                    builder.Length = at;
                    break;
            }
        }

        return builder.ToString();
    }
}
