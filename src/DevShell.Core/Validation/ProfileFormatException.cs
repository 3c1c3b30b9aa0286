namespace DevShell.Core.Validation;

/// <summary>
/// A profile document cannot be read: bad JSON syntax (with line and column), unknown fields,
/// wrong JSON types (with the field path), or input too large. Never a raw JsonException.
/// </summary>
public sealed class ProfileFormatException : DevShellInputException
{
    /// <summary>Creates the exception from format errors.</summary>
    public ProfileFormatException(IReadOnlyList<ValidationError> errors)
        : base(errors)
    {
    }

    /// <summary>Standard constructor.</summary>
    public ProfileFormatException()
    {
    }

    /// <summary>Standard constructor.</summary>
    public ProfileFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Standard constructor.</summary>
    public ProfileFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
