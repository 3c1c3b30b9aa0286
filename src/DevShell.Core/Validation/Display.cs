using System.Globalization;
using System.Text;

namespace DevShell.Core.Validation;

/// <summary>
/// Renders untrusted values inside messages: quoted, control and bidi characters escaped (so a hostile value
/// cannot drive the terminal), and cut after <see cref="MaxChars"/> characters.
/// </summary>
public static class Display
{
    /// <summary>Longest value shown in full.</summary>
    public const int MaxChars = 60;

    /// <summary>Quotes and escapes a value: <c>"12XB"</c>, <c>"a\u0000b"</c>, <c>"aaaa…"</c>.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, MaxChars) + 8);
        builder.Append('"');
        var shown = 0;
        foreach (var c in value)
        {
            if (shown == MaxChars)
            {
                builder.Append('…');
                break;
            }

            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\n': builder.Append("\\n"); break;
                case '\t': builder.Append("\\t"); break;
                case '\r': builder.Append("\\r"); break;
                default:
                    if (NeedsEscape(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }

            shown++;
        }

        return builder.Append('"').ToString();
    }

    /// <summary><c>profile "orders-api"</c>, or <c>profile (unnamed)</c> for an empty name.</summary>
    public static string ProfileLabel(string name) => name.Length == 0 ? "profile (unnamed)" : "profile " + Quote(name);

    /// <summary>True for C0/C1 controls, DEL, lone surrogates, and invisible formatting or bidi characters.</summary>
    public static bool NeedsEscape(char c) =>
        char.IsControl(c)
        || char.IsSurrogate(c)
        || c is >= '\u200b' and <= '\u200f'
        || c is >= '\u202a' and <= '\u202e'
        || c is >= '\u2066' and <= '\u2069'
        || c is '\u2028' or '\u2029' or '\ufeff';
}
