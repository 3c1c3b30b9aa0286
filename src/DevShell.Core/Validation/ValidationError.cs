namespace DevShell.Core.Validation;

/// <summary>
/// One problem with one field of a profile, e.g. field "limits.memory", value "12XB",
/// message "is not a size (use e.g. 512M, 2G)".
/// </summary>
/// <param name="Field">Dotted JSON path of the field: "limits.memory", "mounts[0].target", "env.PATH".</param>
/// <param name="Value">The offending value as text, or null when the field is missing or the problem is about the field as a whole.</param>
/// <param name="Message">What is wrong and how to fix it; reads as a sentence after the field and value.</param>
public record ValidationError(string Field, string? Value, string Message)
{
    /// <summary>Name of the profile the error belongs to, when known; prefixed as <c>profile "orders-api": </c>.</summary>
    public string? Profile { get; init; }

    /// <summary>The field, value and message, e.g. <c>limits.memory "12XB" is not a size (use e.g. 512M, 2G)</c>.</summary>
    public string Body => Value is null ? $"{Field} {Message}" : $"{Field} {Display.Quote(Value)} {Message}";

    /// <summary>The full line a user reads, e.g. <c>profile "orders-api": limits.memory "12XB" is not a size (use e.g. 512M, 2G)</c>.</summary>
    public virtual string Describe() => Profile is null ? Body : $"{Display.ProfileLabel(Profile)}: {Body}";

    /// <inheritdoc cref="Describe"/>
    public override string ToString() => Describe();
}
