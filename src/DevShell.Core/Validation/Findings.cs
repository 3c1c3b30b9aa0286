using System.Globalization;

namespace DevShell.Core.Validation;

/// <summary>Collects errors for one profile while the validator walks it.</summary>
internal sealed class Findings(string profile)
{
    private readonly List<ValidationError> _errors = [];

    public IReadOnlyList<ValidationError> Errors => _errors;

    public void Add(string field, string? value, string message) =>
        _errors.Add(new ValidationError(field, value, message) { Profile = profile });

    public void Add(string field, double value, string message) =>
        Add(field, value.ToString("R", CultureInfo.InvariantCulture), message);

    public void Add(string field, long value, string message) =>
        Add(field, value.ToString(CultureInfo.InvariantCulture), message);

    /// <summary>Reports a null object/list; returns true when the value is present.</summary>
    public bool Present<T>(string field, T? value, string what)
        where T : class
    {
        if (value is not null)
        {
            return true;
        }

        Add(field, null, $"is null (use {what})");
        return false;
    }

    /// <summary>Reports a list longer than <paramref name="max"/>; returns true when within.</summary>
    public bool CountAtMost(string field, int count, int max, string noun)
    {
        if (count <= max)
        {
            return true;
        }

        Add(field, null, $"has {count} {noun}; at most {max} are allowed");
        return false;
    }
}
