namespace DevShell.Core.Validation;

/// <summary>
/// A profile is well-formed JSON but breaks a rule, e.g.
/// <c>profile "orders-api": limits.memory "12XB" is not a size (use e.g. 512M, 2G)</c>.
/// </summary>
public sealed class ProfileValidationException : DevShellInputException
{
    /// <summary>Creates the exception; each error should carry its <see cref="ValidationError.Profile"/>.</summary>
    public ProfileValidationException(IReadOnlyList<ValidationError> errors)
        : base(errors)
    {
    }

    /// <summary>Standard constructor.</summary>
    public ProfileValidationException()
    {
    }

    /// <summary>Standard constructor.</summary>
    public ProfileValidationException(string message)
        : base(message)
    {
    }

    /// <summary>Standard constructor.</summary>
    public ProfileValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
