using DevShell.Core.Formats;
using DevShell.Core.Networking;
using DevShell.Core.Profiles;
using DevShell.Core.Tests.Support;
using DevShell.Core.Validation;

namespace DevShell.Core.Tests.Validation;

/// <summary>Every rule of <see cref="ProfileValidator"/>, each with the exact message a user reads.</summary>
public class ProfileValidatorTests
{
    private const string P = "profile \"orders-api\": ";
    private const string NameRule = "(use 1-48 lowercase letters, digits and '-', starting with a letter and not ending with '-', e.g. orders-api)";
    private const string NotAbsoluteOrHome = "is not an absolute path (start it with / or ~/)";
    private const string DotDot = "contains a \"..\" segment (write the path without ..)";
    private const string EgressUsage = "(use CIDR, CIDR:PORT, CIDR:PORT/udp or NAME.devshell:PORT, e.g. 10.0.0.0/8:443)";
    private const string MaskRule = "(mask paths under ~/ or one of /etc/shadow, /etc/gshadow, /etc/sudoers, /etc/sudoers.d, /etc/ssh, /root)";

    [Fact]
    public void A_minimal_profile_is_valid_with_the_model_defaults()
    {
        Assert.Empty(ProfileValidator.Validate(new Profile { Name = "orders-api" }));
    }

    [Theory]
    // name
    [InlineData("""{"name":"Orders"}""", "profile \"Orders\": name \"Orders\" is not a valid name " + NameRule)]
    [InlineData("""{"name":"a/b"}""", "profile \"a/b\": name \"a/b\" is not a valid name " + NameRule)]
    [InlineData("""{"name":"../etc"}""", "profile \"../etc\": name \"../etc\" is not a valid name " + NameRule)]
    [InlineData("""{"name":"a\u0000b"}""", "profile \"a\\u0000b\": name \"a\\u0000b\" is not a valid name " + NameRule)]
    [InlineData("""{"name":"ordérs"}""", "profile \"ordérs\": name \"ordérs\" is not a valid name " + NameRule)]
    [InlineData("""{"name":"orders-"}""", "profile \"orders-\": name \"orders-\" is not a valid name " + NameRule)]
    [InlineData("""{"name":"1orders"}""", "profile \"1orders\": name \"1orders\" is not a valid name " + NameRule)]
    [InlineData("""{"name":"orders\n"}""", "profile \"orders\\n\": name \"orders\\n\" is not a valid name " + NameRule)]
    [InlineData("""{"name":""}""", "profile (unnamed): name is required " + NameRule)]
    // hostname, service, description, $schema
    [InlineData("""{"hostname":"-bad"}""", P + "hostname \"-bad\" is not a valid hostname (use letters, digits and '-' in dot-separated labels of 1-63 characters, not starting or ending with '-', at most 64 characters in all)")]
    [InlineData("""{"hostname":"a..b"}""", P + "hostname \"a..b\" is not a valid hostname (use letters, digits and '-' in dot-separated labels of 1-63 characters, not starting or ending with '-', at most 64 characters in all)")]
    [InlineData("""{"service":"Orders API"}""", P + "service \"Orders API\" is not a valid service name (use 1-64 lowercase letters, digits, '.', '_' and '-', e.g. orders)")]
    [InlineData("""{"description":"hi\u001b[2J"}""", P + "description \"hi\\u001b[2J\" contains control or invisible characters (only newlines and tabs are allowed)")]
    [InlineData("""{"description":"abc\u202Egnp.exe"}""", P + "description \"abc\\u202egnp.exe\" contains control or invisible characters (only newlines and tabs are allowed)")]
    [InlineData("""{"$schema":"x\u0007"}""", P + "$schema \"x\\u0007\" is not a schema reference (use \"./devshell-profile.schema.json\" or remove it)")]
    // tags
    [InlineData("""{"tags":["Node"]}""", P + "tags[0] \"Node\" is not a valid tag (use 1-32 lowercase letters, digits and '-', e.g. node)")]
    [InlineData("""{"tags":["node","node"]}""", P + "tags[1] \"node\" is listed twice")]
    // shell, command, workdir
    [InlineData("""{"shell":"bash"}""", P + "shell \"bash\" is not an absolute path (start it with /)")]
    [InlineData("""{"shell":"~/bin/zsh"}""", P + "shell \"~/bin/zsh\" is not an absolute path (start it with /)")]
    [InlineData("""{"shell":"/bin/../bin/sh"}""", P + "shell \"/bin/../bin/sh\" " + DotDot)]
    [InlineData("""{"shell":"/bin/ba\u0000sh"}""", P + "shell \"/bin/ba\\u0000sh\" contains a NUL character")]
    [InlineData("""{"shell":"/bin/ba\tsh"}""", P + "shell \"/bin/ba\\tsh\" contains control or invisible characters")]
    [InlineData("""{"shell":""}""", P + "shell is required (use an absolute path, e.g. /bin/bash)")]
    [InlineData("""{"command":[]}""", P + "command is empty (remove it to start the shell, or give the program and its arguments)")]
    [InlineData("""{"command":["echo",""]}""", P + "command[1] is empty (every argument must be a non-empty string)")]
    [InlineData("""{"command":["echo","a\u0000b"]}""", P + "command[1] \"a\\u0000b\" contains a NUL character")]
    [InlineData("""{"workdir":"src/orders"}""", P + "workdir \"src/orders\" " + NotAbsoluteOrHome)]
    [InlineData("""{"workdir":"~/../root"}""", P + "workdir \"~/../root\" " + DotDot)]
    [InlineData("""{"workdir":""}""", P + "workdir \"\" is empty (give an absolute path or one starting with ~/)")]
    // env
    [InlineData("""{"env":{"BAD-KEY":"x"}}""", P + "env \"BAD-KEY\" is not a valid variable name (use letters, digits and '_', not starting with a digit, e.g. NODE_ENV)")]
    [InlineData("""{"env":{"1PATH":"x"}}""", P + "env \"1PATH\" is not a valid variable name (use letters, digits and '_', not starting with a digit, e.g. NODE_ENV)")]
    [InlineData("""{"env":{"A=B":"x"}}""", P + "env \"A=B\" is not a valid variable name (use letters, digits and '_', not starting with a digit, e.g. NODE_ENV)")]
    [InlineData("""{"env":{"TOKEN":"ab\u0000c"}}""", P + "env.TOKEN \"ab\\u0000c\" contains a NUL character")]
    // namespaces
    [InlineData("""{"namespaces":["uts","mount","pid","net","time"]}""", P + "namespaces[4] \"time\" is not a namespace (use uts, ipc, mount, pid, net, user, cgroup)")]
    [InlineData("""{"namespaces":["mount","pid","net","pid"]}""", P + "namespaces[3] \"pid\" is listed twice")]
    [InlineData("""{"namespaces":["pid","net"]}""", P + "namespaces must include \"mount\" (DevShell needs its own mount namespace to set up the filesystem)")]
    [InlineData("""{"namespaces":["mount","net"]}""", P + "namespaces must include \"pid\" (DevShell needs its own PID namespace to track and stop the env)")]
    // network.mode
    [InlineData("""{"namespaces":["mount","pid"],"network":{"mode":"bridge"}}""", P + "network.mode \"bridge\" needs the \"net\" namespace (add \"net\" to namespaces)")]
    [InlineData("""{"namespaces":["mount","pid"],"network":{"mode":"none"}}""", P + "network.mode \"none\" needs the \"net\" namespace (without it the env shares the host network; add \"net\" or use mode host)")]
    [InlineData("""{"network":{"mode":"host"}}""", P + "network.mode \"host\" cannot be used with the \"net\" namespace (remove \"net\" from namespaces, or use mode bridge)")]
    [InlineData("""{"network":{"mode":"wifi"}}""", P + "network.mode \"wifi\" is not a network mode (use none, bridge or host)")]
    // network.ip
    [InlineData("""{"network":{"mode":"bridge","ip":"10.77.0.300"}}""", P + "network.ip \"10.77.0.300\" is not an IPv4 address (use e.g. 10.77.0.10)")]
    [InlineData("""{"network":{"mode":"bridge","ip":"fe80::1"}}""", P + "network.ip \"fe80::1\" is not an IPv4 address (use e.g. 10.77.0.10)")]
    [InlineData("""{"network":{"mode":"none","ip":"10.77.0.5"}}""", P + "network.ip \"10.77.0.5\" needs network.mode bridge (remove ip, or set mode to bridge)")]
    // network.egress
    [InlineData("""{"network":{"egress":{"policy":"some"}}}""", P + "network.egress.policy \"some\" is not an egress policy (use all, none or allow)")]
    [InlineData("""{"network":{"mode":"bridge","egress":{"policy":"all","allow":["10.0.0.0/8"]}}}""", P + "network.egress.allow has entries but network.egress.policy is \"all\" (set policy to allow, or remove the entries)")]
    [InlineData("""{"network":{"mode":"bridge","egress":{"policy":"allow","allow":["10.0.0.0/33"]}}}""", P + "network.egress.allow[0] \"10.0.0.0/33\" has prefix length 33; IPv4 allows 0..32")]
    [InlineData("""{"network":{"mode":"bridge","egress":{"policy":"allow","allow":["10.0.0.5/24"]}}}""", P + "network.egress.allow[0] \"10.0.0.5/24\" has host bits set (did you mean 10.0.0.0/24?)")]
    [InlineData("""{"network":{"mode":"bridge","egress":{"policy":"allow","allow":["10.0.0.0/8:0"]}}}""", P + "network.egress.allow[0] \"10.0.0.0/8:0\" has port 0; ports must be 1..65535")]
    [InlineData("""{"network":{"mode":"bridge","egress":{"policy":"allow","allow":["10.0.0.0/8:65536"]}}}""", P + "network.egress.allow[0] \"10.0.0.0/8:65536\" has port 65536; ports must be 1..65535")]
    [InlineData("""{"network":{"mode":"bridge","egress":{"policy":"allow","allow":["example.com:443"]}}}""", P + "network.egress.allow[0] \"example.com:443\" is not an egress rule " + EgressUsage)]
    [InlineData("""{"network":{"mode":"bridge","egress":{"policy":"allow","allow":["../db.devshell"]}}}""", P + "network.egress.allow[0] \"../db.devshell\" names peer \"../db\", which is not a profile name " + EgressUsage)]
    [InlineData("""{"network":{"mode":"bridge","egress":{"policy":"allow","allow":["10.0.0.0/8:443","10.0.0.0/8:443/tcp"]}}}""", P + "network.egress.allow[1] \"10.0.0.0/8:443\" is listed twice")]
    [InlineData("""{"network":{"egress":{"peers":"friends"}}}""", P + "network.egress.peers \"friends\" is not a peers setting (use shared or isolated)")]
    [InlineData("""{"namespaces":["mount","pid"],"network":{"mode":"host","egress":{"policy":"none"}}}""", P + "network.egress.policy \"none\" cannot be enforced with network.mode host (use mode bridge, or policy all)")]
    [InlineData("""{"network":{"mode":"none","egress":{"policy":"allow"}}}""", P + "network.egress.policy \"allow\" needs network.mode bridge (mode none has no route out; use mode bridge, or policy none)")]
    // network.ports
    [InlineData("""{"network":{"mode":"bridge","ports":["3000"]}}""", P + "network.ports[0] \"3000\" is not a port mapping (use HOST:ENV or HOST:ENV/udp with ports 1..65535, e.g. 3000:3000)")]
    [InlineData("""{"network":{"mode":"bridge","ports":["0:80"]}}""", P + "network.ports[0] \"0:80\" has port 0; ports must be 1..65535")]
    [InlineData("""{"network":{"mode":"bridge","ports":["8080:80","70000:80"]}}""", P + "network.ports[1] \"70000:80\" has port 70000; ports must be 1..65535")]
    [InlineData("""{"network":{"mode":"bridge","ports":["3000:3000","3000:3001"]}}""", P + "network.ports[1] \"3000:3001\" publishes host port 3000/tcp again (network.ports[0] has it; each host port can be published once)")]
    [InlineData("""{"network":{"mode":"none","ports":["3000:3000"]}}""", P + "network.ports needs network.mode bridge (ports are published from the bridge; set mode to bridge, or remove ports)")]
    // limits
    [InlineData("""{"limits":{"memory":"12XB"}}""", P + "limits.memory \"12XB\" is not a size (use e.g. 512M, 2G)")]
    [InlineData("""{"limits":{"memory":"-1G"}}""", P + "limits.memory \"-1G\" is negative; sizes must be positive (use e.g. 512M, 2G)")]
    [InlineData("""{"limits":{"memory":"1M"}}""", P + "limits.memory \"1M\" is below the minimum of 4M")]
    [InlineData("""{"limits":{"memory":"99999999T"}}""", P + "limits.memory \"99999999T\" is too large (at most 8E, i.e. 2^63-1 bytes)")]
    [InlineData("""{"limits":{"memory":"1G","swap":"lots"}}""", P + "limits.swap \"lots\" is not a size (use e.g. 512M, 2G)")]
    [InlineData("""{"limits":{"swap":"1G"}}""", P + "limits.swap \"1G\" needs limits.memory (swap is allowed on top of a memory limit)")]
    [InlineData("""{"limits":{"cpu":0.001}}""", P + "limits.cpu \"0.001\" is out of range (use 0.01 to 1024 cores)")]
    [InlineData("""{"limits":{"cpu":-1}}""", P + "limits.cpu \"-1\" is out of range (use 0.01 to 1024 cores)")]
    [InlineData("""{"limits":{"cpu":2048}}""", P + "limits.cpu \"2048\" is out of range (use 0.01 to 1024 cores)")]
    [InlineData("""{"limits":{"pids":0}}""", P + "limits.pids \"0\" is out of range (use 1 to 4194304)")]
    [InlineData("""{"limits":{"pids":4194305}}""", P + "limits.pids \"4194305\" is out of range (use 1 to 4194304)")]
    [InlineData("""{"limits":{"io_weight":0}}""", P + "limits.io_weight \"0\" is out of range (use 1 to 10000)")]
    [InlineData("""{"limits":{"io_weight":10001}}""", P + "limits.io_weight \"10001\" is out of range (use 1 to 10000)")]
    // filesystem
    [InlineData("""{"filesystem":{"mode":"overlay"}}""", P + "filesystem.mode \"overlay\" is not a filesystem mode (use host, readonly or rootfs)")]
    [InlineData("""{"filesystem":{"mode":"rootfs"}}""", P + "filesystem.rootfs is required when filesystem.mode is rootfs (give the directory holding the root filesystem)")]
    [InlineData("""{"filesystem":{"mode":"host","rootfs":"/srv/root"}}""", P + "filesystem.rootfs \"/srv/root\" is only used with filesystem.mode rootfs (set mode to rootfs, or remove rootfs)")]
    [InlineData("""{"filesystem":{"mode":"rootfs","rootfs":"//"}}""", P + "filesystem.rootfs \"//\" cannot be the host root (use a directory holding a root filesystem, or mode host)")]
    [InlineData("""{"filesystem":{"mode":"rootfs","rootfs":"srv/root"}}""", P + "filesystem.rootfs \"srv/root\" is not an absolute path (start it with /)")]
    [InlineData("""{"filesystem":{"home":"shared"}}""", P + "filesystem.home \"shared\" is not a home mode (use host or private)")]
    // mounts
    [InlineData("""{"mounts":[{"type":"overlay","target":"/data"}]}""", P + "mounts[0].type \"overlay\" is not a mount type (use bind or tmpfs)")]
    [InlineData("""{"mounts":[{"type":"bind","target":"/data"}]}""", P + "mounts[0].source is required for a bind mount (give a host path, e.g. ~/src)")]
    [InlineData("""{"mounts":[{"type":"bind","source":"/","target":"/host"}]}""", P + "mounts[0].source \"/\" cannot be bound (binding /, /proc, /sys, /dev or anything under /proc would expose the host)")]
    [InlineData("""{"mounts":[{"type":"bind","source":"/proc","target":"/p"}]}""", P + "mounts[0].source \"/proc\" cannot be bound (binding /, /proc, /sys, /dev or anything under /proc would expose the host)")]
    [InlineData("""{"mounts":[{"type":"bind","source":"/proc/1/root","target":"/p"}]}""", P + "mounts[0].source \"/proc/1/root\" cannot be bound (binding /, /proc, /sys, /dev or anything under /proc would expose the host)")]
    [InlineData("""{"mounts":[{"type":"bind","source":"//proc/./self/","target":"/p"}]}""", P + "mounts[0].source \"//proc/./self/\" cannot be bound (binding /, /proc, /sys, /dev or anything under /proc would expose the host)")]
    [InlineData("""{"mounts":[{"type":"bind","source":"/sys","target":"/s"}]}""", P + "mounts[0].source \"/sys\" cannot be bound (binding /, /proc, /sys, /dev or anything under /proc would expose the host)")]
    [InlineData("""{"mounts":[{"type":"bind","source":"/dev/","target":"/d"}]}""", P + "mounts[0].source \"/dev/\" cannot be bound (binding /, /proc, /sys, /dev or anything under /proc would expose the host)")]
    [InlineData("""{"mounts":[{"type":"bind","source":"src","target":"/src"}]}""", P + "mounts[0].source \"src\" " + NotAbsoluteOrHome)]
    [InlineData("""{"mounts":[{"type":"bind","source":"~/src/../../etc","target":"/src"}]}""", P + "mounts[0].source \"~/src/../../etc\" " + DotDot)]
    [InlineData("""{"mounts":[{"type":"bind","source":"~/src","target":"/proc"}]}""", P + "mounts[0].target \"/proc\" cannot be mounted over (/, /proc, /sys, /dev and anything under /proc are set up by DevShell)")]
    [InlineData("""{"mounts":[{"type":"tmpfs","target":"/proc/sys"}]}""", P + "mounts[0].target \"/proc/sys\" cannot be mounted over (/, /proc, /sys, /dev and anything under /proc are set up by DevShell)")]
    [InlineData("""{"mounts":[{"type":"tmpfs","target":"/"}]}""", P + "mounts[0].target \"/\" cannot be mounted over (/, /proc, /sys, /dev and anything under /proc are set up by DevShell)")]
    [InlineData("""{"mounts":[{"type":"tmpfs","target":"data"}]}""", P + "mounts[0].target \"data\" " + NotAbsoluteOrHome)]
    [InlineData("""{"mounts":[{"type":"tmpfs","target":""}]}""", P + "mounts[0].target is required (give the path inside the env, e.g. /data)")]
    [InlineData("""{"mounts":[{"type":"tmpfs","source":"/srv","target":"/data"}]}""", P + "mounts[0].source \"/srv\" is only used by bind mounts (remove it for tmpfs)")]
    [InlineData("""{"mounts":[{"type":"bind","source":"/srv","target":"/data","size":"1G"}]}""", P + "mounts[0].size \"1G\" is only used by tmpfs mounts (remove it for a bind mount)")]
    [InlineData("""{"mounts":[{"type":"tmpfs","target":"/data","size":"big"}]}""", P + "mounts[0].size \"big\" is not a size (use e.g. 512M, 2G)")]
    [InlineData("""{"mounts":[{"type":"tmpfs","target":"/data","size":"0"}]}""", P + "mounts[0].size \"0\" is zero (remove size for the kernel default, or use e.g. 64M)")]
    [InlineData("""{"mounts":[{"type":"tmpfs","target":"/data"},{"type":"bind","source":"/srv","target":"/data/"}]}""", P + "mounts[1].target \"/data/\" is already the target of mounts[0] (each path can be mounted once)")]
    // masks
    [InlineData("""{"masks":["/"]}""", P + "masks[0] \"/\" cannot be masked " + MaskRule)]
    [InlineData("""{"masks":["/usr"]}""", P + "masks[0] \"/usr\" is outside the home directory " + MaskRule)]
    [InlineData("""{"masks":["/etc/shadowfax"]}""", P + "masks[0] \"/etc/shadowfax\" is outside the home directory " + MaskRule)]
    [InlineData("""{"masks":["~"]}""", P + "masks[0] \"~\" is the whole home directory (use filesystem.home private instead)")]
    [InlineData("""{"masks":["~/.ssh/../.."]}""", P + "masks[0] \"~/.ssh/../..\" " + DotDot)]
    [InlineData("""{"masks":[".ssh"]}""", P + "masks[0] \".ssh\" " + NotAbsoluteOrHome)]
    [InlineData("""{"masks":["~/.ssh","~/.ssh/"]}""", P + "masks[1] \"~/.ssh\" is listed twice")]
    // security, hooks
    [InlineData("""{"security":{"caps":["CAP_FLY"]}}""", P + "security.caps[0] \"CAP_FLY\" is not a Linux capability (use a name such as CAP_NET_BIND_SERVICE)")]
    [InlineData("""{"security":{"caps":["net_admin"]}}""", P + "security.caps[0] \"net_admin\" is not a Linux capability name (did you mean CAP_NET_ADMIN?)")]
    [InlineData("""{"security":{"caps":["CAP_NET_RAW","CAP_NET_RAW"]}}""", P + "security.caps[1] \"CAP_NET_RAW\" is listed twice")]
    [InlineData("""{"hooks":{"on_enter":"echo \u0000"}}""", P + "hooks.on_enter \"echo \\u0000\" contains a NUL character")]
    public void Rejects_each_broken_rule_with_the_exact_message(string patch, string expected)
    {
        var e = Docs.Reject(patch);
        Assert.IsType<ProfileValidationException>(e);
        Assert.Equal(expected, e.Message);
        var error = Assert.Single(e.Errors);
        Assert.Equal(expected, error.Describe());
    }

    [Theory]
    [InlineData("""{"name":"a"}""")]
    [InlineData("""{"name":"abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijk"}""")]
    [InlineData("""{"hostname":"orders.dev.local"}""")]
    [InlineData("""{"workdir":"~"}""")]
    [InlineData("""{"workdir":"/srv/./orders"}""")]
    [InlineData("""{"command":["npm","run","dev"]}""")]
    [InlineData("""{"env":{"_X":"","PATH":"/usr/bin:/bin"}}""")]
    [InlineData("""{"namespaces":["mount","pid","net","user","cgroup","uts","ipc"]}""")]
    [InlineData("""{"namespaces":["mount","pid"],"network":{"mode":"host"}}""")]
    [InlineData("""{"network":{"mode":"bridge","ip":"10.77.0.20","ports":["3000:3000","3000:3000/udp"],"egress":{"policy":"allow","allow":["10.0.0.0/8","orders-db.devshell:5432"],"peers":"isolated"}}}""")]
    [InlineData("""{"limits":{"memory":"4M","swap":"0","cpu":0.01,"pids":1,"io_weight":1}}""")]
    [InlineData("""{"limits":{"memory":"1T","cpu":1024,"pids":4194304,"io_weight":10000}}""")]
    [InlineData("""{"filesystem":{"mode":"rootfs","rootfs":"/srv/rootfs","home":"private"}}""")]
    [InlineData("""{"mounts":[{"type":"bind","source":"~/src","target":"/src","readonly":true},{"type":"tmpfs","target":"~/cache","size":"64M"},{"type":"bind","source":"/dev-data","target":"/devx"}]}""")]
    [InlineData("""{"masks":["~/.ssh","/etc/shadow","/etc/ssh/ssh_host_rsa_key","/root"]}""")]
    [InlineData("""{"security":{"seccomp":false,"caps":["CAP_NET_BIND_SERVICE","CAP_CHECKPOINT_RESTORE","CAP_CHOWN"]}}""")]
    [InlineData("""{"description":"line one\n\tline two","tags":["a","b-2"]}""")]
    public void Accepts_values_at_and_inside_the_limits(string patch) => Docs.Accept(patch);

    [Fact]
    public void Reports_every_problem_not_just_the_first()
    {
        var e = Docs.Reject("""{"name":"Bad Name","limits":{"memory":"12XB","pids":0},"masks":["/usr"],"network":{"mode":"bridge","ports":["x"]}}""");
        Assert.Equal(["name", "network.ports[0]", "limits.memory", "limits.pids", "masks[0]"], e.Errors.Select(x => x.Field));
        Assert.All(e.Errors, x => Assert.Equal("Bad Name", x.Profile));
        Assert.Equal(5, e.Message.Split('\n').Length);
        Assert.All(e.Message.Split('\n'), line => Assert.StartsWith("profile \"Bad Name\": ", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Rejects_a_name_longer_than_48()
    {
        var name = "a" + new string('b', 48);
        var e = Docs.Reject($$"""{"name":"{{name}}"}""");
        Assert.Equal($"name \"{name}\" is not a valid name {NameRule}", e.Errors.Single().Body);
    }

    [Fact]
    public void Rejects_a_hostname_longer_than_64()
    {
        var hostname = new string('a', 40) + "." + new string('b', 30);
        var e = Docs.Reject($$"""{"hostname":"{{hostname}}"}""");
        Assert.Equal("hostname", e.Errors.Single().Field);
        Assert.Contains("at most 64 characters in all", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_description_over_1_KiB()
    {
        var e = Docs.Reject($$"""{"description":"{{new string('d', 1025)}}"}""");
        Assert.Equal(P + "description \"" + new string('d', 60) + "…\" is 1025 bytes; at most 1024 are allowed", e.Message);
    }

    [Fact]
    public void Rejects_more_than_32_tags()
    {
        var tags = string.Join(",", Enumerable.Range(0, 33).Select(i => $"\"t{i}\""));
        Assert.Equal(P + "tags has 33 tags; at most 32 are allowed", Docs.Reject($$"""{"tags":[{{tags}}]}""").Message);
    }

    [Fact]
    public void Rejects_a_1_MB_env_value_and_shows_only_its_start()
    {
        var big = new string('x', 1_000_000);
        var e = Docs.Reject($$$"""{"env":{"BIG":"{{{big}}}"}}""");
        Assert.Equal(P + "env.BIG \"" + new string('x', 60) + "…\" is 1000000 bytes; at most 65536 are allowed", e.Message);
    }

    [Fact]
    public void Accepts_an_env_value_of_exactly_64_KiB()
    {
        Docs.Accept($$$"""{"env":{"BIG":"{{{new string('x', 65536)}}}"}}""");
    }

    [Fact]
    public void Rejects_more_than_256_env_vars()
    {
        var vars = string.Join(",", Enumerable.Range(0, 257).Select(i => $"\"V{i}\":\"x\""));
        Assert.Equal(P + "env has 257 variables; at most 256 are allowed", Docs.Reject($$$"""{"env":{{{{vars}}}}}""").Message);
    }

    [Fact]
    public void Rejects_a_hook_over_64_KiB()
    {
        var e = Docs.Reject($$$"""{"hooks":{"on_exit":"{{{new string('#', 70_000)}}}"}}""");
        Assert.Equal(P + "hooks.on_exit \"" + new string('#', 60) + "…\" is 70000 bytes; at most 65536 are allowed", e.Message);
    }

    [Fact]
    public void Rejects_a_command_argument_over_64_KiB()
    {
        var e = Docs.Reject($$"""{"command":["echo","{{new string('a', 65537)}}"]}""");
        Assert.Equal("command[1]", e.Errors.Single().Field);
        Assert.EndsWith("is 65537 bytes; at most 65536 are allowed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Counts_bytes_not_characters_for_text_limits()
    {
        // 30,000 three-byte characters are 90,000 bytes: over the 64 KiB limit although under 65,536 chars.
        var e = Docs.Reject($$$"""{"env":{"WIDE":"{{{new string('€', 30_000)}}}"}}""");
        Assert.EndsWith("is 90000 bytes; at most 65536 are allowed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Static_ip_must_be_inside_the_bridge_subnet_and_not_reserved()
    {
        var context = new ValidationContext { BridgeSubnet = Ipv4Cidr.Parse("10.77.0.0/24") };
        Docs.Accept("""{"network":{"mode":"bridge","ip":"10.77.0.2"}}""", context);
        Assert.Equal(P + "network.ip \"10.78.0.2\" is outside the DevShell subnet 10.77.0.0/24 (pick an address inside it, or remove ip)",
            Docs.Reject("""{"network":{"mode":"bridge","ip":"10.78.0.2"}}""", context).Message);
        foreach (var reserved in new[] { "10.77.0.0", "10.77.0.1", "10.77.0.255" })
        {
            Assert.Equal(P + $"network.ip \"{reserved}\" is reserved (the network, gateway and broadcast addresses of 10.77.0.0/24 cannot be used)",
                Docs.Reject($$$"""{"network":{"mode":"bridge","ip":"{{{reserved}}}"}}""", context).Message);
        }
    }

    [Fact]
    public void Binding_the_database_file_or_its_directory_is_rejected()
    {
        var context = new ValidationContext { HomeDirectory = "/home/dev", DbPath = "/home/dev/.local/share/devshell/devshell.db" };
        const string Message = "is DevShell's own database or its directory (binding it would let the env rewrite profiles; bind a different path)";
        foreach (var source in new[]
                 {
                     "/home/dev/.local/share/devshell/devshell.db", "~/.local/share/devshell/devshell.db",
                     "~/.local/share/devshell", "~/.local/share/devshell/", "~/.local/share/devshell/devshell-log.db",
                     "/home/dev/.local/share/devshell/devshell.db.bak",
                 })
        {
            var e = Docs.Reject($$"""{"mounts":[{"type":"bind","source":"{{source}}","target":"/x"}]}""", context);
            Assert.Equal(P + $"mounts[0].source \"{source}\" {Message}", e.Message);
        }

        Docs.Accept("""{"mounts":[{"type":"bind","source":"~/.local/share/other","target":"/x"}]}""", context);
    }

    [Fact]
    public void Masks_given_as_absolute_paths_inside_home_are_accepted_when_home_is_known()
    {
        var context = new ValidationContext { HomeDirectory = "/home/dev" };
        Docs.Accept("""{"masks":["/home/dev/.aws"]}""", context);
        Assert.Equal(P + "masks[0] \"/home/dev\" is the whole home directory (use filesystem.home private instead)",
            Docs.Reject("""{"masks":["/home/dev"]}""", context).Message);
        Assert.Equal(P + "masks[0] \"/home/devil/.aws\" is outside the home directory " + MaskRule,
            Docs.Reject("""{"masks":["/home/devil/.aws"]}""", context).Message);
    }

    [Fact]
    public void Bind_sources_under_home_are_checked_after_expanding_tilde()
    {
        var context = new ValidationContext { HomeDirectory = "/" };
        Assert.Equal(P + "mounts[0].source \"~\" cannot be bound (binding /, /proc, /sys, /dev or anything under /proc would expose the host)",
            Docs.Reject("""{"mounts":[{"type":"bind","source":"~","target":"/h"}]}""", context).Message);
    }

    [Fact]
    public void Null_lists_and_objects_from_code_are_reported_not_thrown()
    {
        var profile = new Profile
        {
            Name = "orders-api",
            Tags = null!,
            Env = null!,
            Namespaces = null!,
            Network = null!,
            Limits = null!,
            Filesystem = null!,
            Mounts = [null!],
            Masks = null!,
            Security = null!,
            Hooks = null!,
        };
        var errors = ProfileValidator.Validate(profile);
        Assert.Equal(
        [
            "tags is null (use [] for no tags)",
            "env is null (use {} for no variables)",
            "namespaces is null (use a list such as [\"uts\", \"ipc\", \"mount\", \"pid\", \"net\"])",
            "network is null (use an object such as {\"mode\": \"none\"})",
            "limits is null (use {} for no limits)",
            "filesystem is null (use an object such as {\"mode\": \"host\"})",
            "mounts[0] is null (use an object such as {\"type\": \"tmpfs\", \"target\": \"/tmp\"})",
            "masks is null (use [] for no masks)",
            "security is null (use an object such as {\"seccomp\": true})",
            "hooks is null (use {} for no hooks)",
        ], errors.Select(e => e.Body));
    }

    [Fact]
    public void Non_finite_cpu_from_code_is_reported()
    {
        var profile = new Profile { Name = "orders-api", Limits = new LimitsSpec { Cpu = double.NaN } };
        Assert.Equal("limits.cpu \"NaN\" is not a finite number (use cores, e.g. 0.5 or 2)", ProfileValidator.Validate(profile).Single().Body);
    }

    [Fact]
    public void ThrowIfInvalid_throws_the_validation_exception_with_all_errors()
    {
        var profile = new Profile { Name = "orders-api", Limits = new LimitsSpec { Memory = "12XB", Pids = -1 } };
        var e = Assert.Throws<ProfileValidationException>(() => ProfileValidator.ThrowIfInvalid(profile));
        Assert.Equal(
            "profile \"orders-api\": limits.memory \"12XB\" is not a size (use e.g. 512M, 2G)" + Environment.NewLine +
            "profile \"orders-api\": limits.pids \"-1\" is out of range (use 1 to 4194304)", e.Message);
    }

    [Fact]
    public void Duplicate_names_within_one_import_are_rejected()
    {
        var e = Assert.Throws<ProfileValidationException>(() =>
            ProfileImport.Parse("""[{"name":"a"},{"name":"b"},{"name":"a"}]""", "team.json"));
        Assert.Equal("profile \"a\": [2].name \"a\" is also the name of profile [0] (names must be unique)", e.Message);
    }

    [Fact]
    public void Display_escapes_terminal_control_sequences_in_values()
    {
        var e = Docs.Reject("""{"name":"\u001b]0;pwned\u0007"}""");
        Assert.DoesNotContain('\u001b', e.Message);
        Assert.DoesNotContain('\u0007', e.Message);
        Assert.StartsWith("profile \"\\u001b]0;pwned\\u0007\": name", e.Message, StringComparison.Ordinal);
    }
}
