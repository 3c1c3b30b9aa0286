using System.Text.Json.Serialization;

namespace DevShell.Core.Profiles;

/// <summary>
/// A per-service environment definition. This is the document users edit (JSON, snake_case),
/// that the store keeps, and that the engine turns into namespaces, mounts, cgroups and network.
/// Only shape lives here; <see cref="Validation.ProfileValidator"/> decides what is acceptable.
/// </summary>
public sealed class Profile
{
    /// <summary>JSON schema reference kept from preset files; ignored by the engine.</summary>
    [JsonPropertyName("$schema")]
    public string? Schema { get; set; }

    /// <summary>Slug: lowercase letters, digits and '-', 1..48 chars, starts with a letter. Unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>The service or group the profile belongs to (the TUI groups by it).</summary>
    public string? Service { get; set; }

    public string? Description { get; set; }

    public List<string> Tags { get; set; } = [];

    /// <summary>Absolute path of the shell to exec, e.g. /bin/bash.</summary>
    public string Shell { get; set; } = "/bin/bash";

    /// <summary>Optional default command (argv) run instead of an interactive shell by `devshell run P` without a command.</summary>
    public List<string>? Command { get; set; }

    /// <summary>Host directory bound read-write into the env and used as the working directory. May start with ~/.</summary>
    public string? Workdir { get; set; }

    public Dictionary<string, string> Env { get; set; } = [];

    /// <summary>Hostname inside the env; defaults to the profile name.</summary>
    public string? Hostname { get; set; }

    /// <summary>Namespaces to create: any of uts, ipc, mount, pid, net, user, cgroup.</summary>
    public List<string> Namespaces { get; set; } = ["uts", "ipc", "mount", "pid", "net"];

    public NetworkSpec Network { get; set; } = new();

    public LimitsSpec Limits { get; set; } = new();

    public FilesystemSpec Filesystem { get; set; } = new();

    public List<MountSpec> Mounts { get; set; } = [];

    /// <summary>Paths made unreadable inside (empty tmpfs over a directory, /dev/null over a file). May start with ~/.</summary>
    public List<string> Masks { get; set; } = [];

    public SecuritySpec Security { get; set; } = new();

    public HooksSpec Hooks { get; set; } = new();

    public DateTime Created { get; set; }

    public DateTime Updated { get; set; }

    /// <summary>Optimistic-concurrency revision: bumped by the store on every write.</summary>
    public int Revision { get; set; }
}

public sealed class NetworkSpec
{
    /// <summary>none | bridge | host.</summary>
    public string Mode { get; set; } = "none";

    /// <summary>Optional static IPv4 address inside the DevShell subnet.</summary>
    public string? Ip { get; set; }

    public EgressSpec Egress { get; set; } = new();

    /// <summary>Published ports "HOST:ENV" or "HOST:ENV/udp"; bound to host 127.0.0.1 only.</summary>
    public List<string> Ports { get; set; } = [];
}

public sealed class EgressSpec
{
    /// <summary>all | none | allow.</summary>
    public string Policy { get; set; } = "all";

    /// <summary>With policy allow: "CIDR", "CIDR:PORT", "CIDR:PORT/udp" or "PROFILE.devshell[:PORT]".</summary>
    public List<string> Allow { get; set; } = [];

    /// <summary>shared: other envs may be reached; isolated: only what Allow names.</summary>
    public string Peers { get; set; } = "shared";
}

public sealed class LimitsSpec
{
    /// <summary>Human size, e.g. 512M, 2G. Null means unlimited.</summary>
    public string? Memory { get; set; }

    /// <summary>Swap allowed on top of memory, human size. Null means the host default; "0" disables swap.</summary>
    public string? Swap { get; set; }

    /// <summary>CPU in cores, e.g. 0.5 or 1.5.</summary>
    public double? Cpu { get; set; }

    public int? Pids { get; set; }

    /// <summary>IO weight 1..10000 (cgroup v2 scale; mapped to blkio 10..1000 on v1).</summary>
    public int? IoWeight { get; set; }
}

public sealed class FilesystemSpec
{
    /// <summary>host | readonly | rootfs.</summary>
    public string Mode { get; set; } = "host";

    /// <summary>With mode rootfs: the directory tree to pivot_root into.</summary>
    public string? Rootfs { get; set; }

    /// <summary>host | private (a persistent per-profile home under DevShell's data dir).</summary>
    public string Home { get; set; } = "host";
}

public sealed class MountSpec
{
    /// <summary>bind | tmpfs.</summary>
    public string Type { get; set; } = "bind";

    /// <summary>Host path for bind (may start with ~/); unused for tmpfs.</summary>
    public string? Source { get; set; }

    /// <summary>Absolute path inside the env (may start with ~/).</summary>
    public string Target { get; set; } = "";

    [JsonPropertyName("readonly")]
    public bool ReadOnly { get; set; }

    /// <summary>tmpfs size, human size.</summary>
    public string? Size { get; set; }
}

public sealed class SecuritySpec
{
    public bool Seccomp { get; set; } = true;

    /// <summary>Capabilities kept for the shell, e.g. CAP_NET_BIND_SERVICE. None by default.</summary>
    public List<string> Caps { get; set; } = [];
}

public sealed class HooksSpec
{
    /// <summary>Shell snippet run inside, as the user, before the shell starts.</summary>
    public string? OnEnter { get; set; }

    /// <summary>Shell snippet run inside, as the user, after the shell ends.</summary>
    public string? OnExit { get; set; }
}
