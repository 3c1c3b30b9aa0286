using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using DevShell.Core.Events;
using DevShell.Core.Sessions;

namespace DevShell.Commands;

/// <summary>JSON for --json output: snake_case, indented, nulls left out, enums by snake_case name.</summary>
public static class CliJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    /// <summary>One object per line, for streams (top, events --follow).</summary>
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    /// <summary>Serializes with compile-time metadata (the front is NativeAOT: there is no reflection-based serializer).</summary>
    public static string Serialize<T>(T value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(value, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)));

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter<SessionState>(JsonNamingPolicy.SnakeCaseLower) },
            TypeInfoResolver = CliJsonContext.Default,
        };
        options.MakeReadOnly();
        return options;
    }
}

/// <summary>`devshell profile list --json`: one line of the profile table.</summary>
public sealed record ProfileSummary(string Name, string? Service, string? Description, IReadOnlyList<string> Tags, string Network,
    string? Memory, double? Cpu, int? Pids, int Revision);

/// <summary>`devshell run --status-file`: how a run ended.</summary>
public sealed record RunVerdict(string Session, int ExitCode, int? Signal, double WallMs, double? CpuMs, long? MemoryPeakBytes,
    bool OomKilled, IReadOnlyList<VerdictViolation> Violations, IReadOnlyList<string> Errors);

/// <summary>One violation in a <see cref="RunVerdict"/>.</summary>
public sealed record VerdictViolation(string Kind, long Value, long? Limit, string Message);

/// <summary>Compile-time serializer metadata for every --json output.</summary>
[JsonSerializable(typeof(IReadOnlyList<SessionRecord>))]
[JsonSerializable(typeof(List<MonitorCommands.UsageRow>))]
[JsonSerializable(typeof(EventRecord))]
[JsonSerializable(typeof(IReadOnlyList<DoctorCheck>))]
[JsonSerializable(typeof(List<ProfileSummary>))]
[JsonSerializable(typeof(RunVerdict))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
