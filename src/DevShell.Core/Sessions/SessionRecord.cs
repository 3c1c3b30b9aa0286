using System.Security.Cryptography;

namespace DevShell.Core.Sessions;

/// <summary>One launched environment, as kept in the store so that other processes (the TUI, `devshell ps`, gc) can see it.</summary>
public sealed class SessionRecord
{
    /// <summary>8 lowercase hex digits, e.g. "3f9a0c12"; see <see cref="NewId"/>.</summary>
    public string Id { get; set; } = "";

    /// <summary>Name of the profile the session runs.</summary>
    public string Profile { get; set; } = "";

    /// <summary>Where the session is in its lifecycle.</summary>
    public SessionState State { get; set; }

    /// <summary>Host PID of the devshell process that launched and waits for the env.</summary>
    public int? LauncherPid { get; set; }

    /// <summary>Host PID of the env's PID 1.</summary>
    public int? InitPid { get; set; }

    /// <summary>The user the shell runs as.</summary>
    /// <summary>Start time (clock ticks, /proc/PID/stat field 22) of <see cref="InitPid"/>, to tell it from a reused pid.</summary>
    public long? InitStartTicks { get; set; }

    /// <summary>Start time of <see cref="LauncherPid"/>; null once the launcher has detached from a lingering env.</summary>
    public long? LauncherStartTicks { get; set; }

    public int Uid { get; set; }

    /// <summary>Hostname inside the env.</summary>
    public string? Hostname { get; set; }

    /// <summary>Namespaces created for the env.</summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>Cgroup controller (or "unified" on v2) → absolute cgroup directory.</summary>
    public Dictionary<string, string> CgroupPaths { get; set; } = [];

    /// <summary>Bind-mounted network namespace, e.g. /run/devshell/netns/3f9a0c12.</summary>
    public string? NetnsPath { get; set; }

    /// <summary>Host side veth name.</summary>
    public string? Veth { get; set; }

    /// <summary>IPv4 address of the env on the bridge.</summary>
    public string? Ip { get; set; }

    /// <summary>When the session was created (UTC).</summary>
    public DateTime StartedAt { get; set; }

    /// <summary>When it ended (UTC), if it has.</summary>
    public DateTime? EndedAt { get; set; }

    /// <summary>Exit code of the shell or command, when it exited normally.</summary>
    public int? ExitCode { get; set; }

    /// <summary>Signal that killed it, if any.</summary>
    public int? Signal { get; set; }

    /// <summary>The command run (argv), empty for an interactive shell.</summary>
    public List<string> Command { get; set; } = [];

    /// <summary>
    /// The last deferred change of this session that the store applied (its <see cref="SessionChange.Seq"/>; 0: none).
    /// Applying a change again, after a crash between the store's commit and the removal of its outbox file, is skipped.
    /// </summary>
    public int OutboxSeq { get; set; }

    /// <summary>True while <see cref="State"/> is starting or running.</summary>
    public bool IsActive => State is SessionState.Starting or SessionState.Running;

    /// <summary>A fresh random id: 8 lowercase hex digits.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>True if <paramref name="id"/> has the session id form.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: 8 } && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
