namespace DevShell.Core.Validation;

/// <summary>
/// Base of every "the input is wrong" error (bad JSON, bad values). The message lists every problem, one per line;
/// <see cref="Errors"/> has them as data. The CLI maps this type to its "bad input" exit code.
/// </summary>
public class DevShellInputException : Exception
{
    /// <summary>Creates the exception from a list of problems (at least one).</summary>
    public DevShellInputException(IReadOnlyList<ValidationError> errors)
        : base(Compose(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a single whole-input problem.</summary>
    public DevShellInputException(string message)
        : this([new FormatError("", message)])
    {
    }

    /// <summary>Standard constructor; prefer the list form.</summary>
    public DevShellInputException()
        : this("invalid input")
    {
    }

    /// <summary>Standard constructor; prefer the list form.</summary>
    public DevShellInputException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new FormatError("", message)];
    }

    /// <summary>Every problem found, in document order.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    private static string Compose(IReadOnlyList<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 0 ? "invalid input" : string.Join(Environment.NewLine, errors.Select(e => e.Describe()));
    }
}
