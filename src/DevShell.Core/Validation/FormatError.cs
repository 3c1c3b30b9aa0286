namespace DevShell.Core.Validation;

/// <summary>
/// A problem with the document itself rather than a value's meaning: bad JSON syntax, an unknown field,
/// or a value of the wrong JSON type. Reads as <c>orders.json: limits.pids: expected a number, got "many"</c>
/// or <c>orders.json: line 3, column 7: ...</c>.
/// </summary>
public sealed record FormatError(string Field, string Message) : ValidationError(Field, null, Message)
{
    /// <summary>Where the document came from (a file name, "stdin", ...).</summary>
    public string? Source { get; init; }

    /// <summary>1-based line of a syntax error.</summary>
    public long? Line { get; init; }

    /// <summary>1-based column of a syntax error.</summary>
    public long? Column { get; init; }

    /// <inheritdoc/>
    public override string Describe()
    {
        var where = Line is null ? Field : $"line {Line}, column {Column}";
        var prefix = Source is null ? "" : (Source.Any(Display.NeedsEscape) ? Display.Quote(Source) : Source) + ": ";
        var profile = Profile is null ? "" : Display.ProfileLabel(Profile) + ": ";
        return string.IsNullOrEmpty(where) ? $"{prefix}{profile}{Message}" : $"{prefix}{profile}{where}: {Message}";
    }
}
