using System.Text;
using DevShell.Core.Networking;
using DevShell.Core.Profiles;
using DevShell.Linux.Net.Nft;

namespace DevShell.Linux.Net.Names;

/// <summary>
/// One running bridged env as the network part knows it: its address and name, and the network settings of its
/// profile AS LAUNCHED (so its firewall rules can be rebuilt or removed later without the store, and a profile
/// edited meanwhile cannot make a removal miss the rules that were really added).
/// </summary>
/// <param name="SessionId">Session id (names the veth, chain, counter).</param>
/// <param name="Address">Its IPv4 address (host-order value).</param>
/// <param name="Profile">Profile name ("&lt;profile&gt;.devshell").</param>
/// <param name="Egress">network.egress.policy: all | none | allow.</param>
/// <param name="Peers">network.egress.peers: shared | isolated.</param>
/// <param name="Allow">network.egress.allow entries.</param>
/// <param name="Ports">network.ports entries.</param>
public sealed record EnvEntry(
    string SessionId,
    uint Address,
    string Profile,
    string Egress,
    string Peers,
    IReadOnlyList<string> Allow,
    IReadOnlyList<string> Ports)
{
    /// <summary>The entry of an env of <paramref name="profile"/> at <paramref name="address"/>.</summary>
    public static EnvEntry From(string sessionId, uint address, Profile profile) => new(
        sessionId,
        address,
        profile.Name,
        profile.Network.Egress.Policy,
        profile.Network.Egress.Peers,
        [.. profile.Network.Egress.Allow],
        [.. profile.Network.Ports]);

    /// <summary>The profile names its allow list reaches by name ("db.devshell:5432" -> "db").</summary>
    public IEnumerable<string> AllowedPeers()
    {
        foreach (string text in Allow)
        {
            if (EgressRule.TryParse(text, out EgressRule? rule, out _) && rule?.Peer is string peer)
            {
                yield return peer;
            }
        }
    }

    /// <summary>network.ports entries that parse, with the text each came from.</summary>
    public IEnumerable<(string Text, PortMapping Mapping)> PortMappings()
    {
        foreach (string text in Ports)
        {
            if (PortMapping.TryParse(text, out PortMapping mapping, out _))
            {
                yield return (text, mapping);
            }
        }
    }

    /// <summary>The firewall view of this env, with "NAME.devshell" allow rules resolved through <paramref name="peers"/>.</summary>
    public EnvFirewallSpec FirewallSpec(IReadOnlyDictionary<string, uint> peers)
    {
        var allow = new List<EgressRule>();
        foreach (string text in Allow)
        {
            if (EgressRule.TryParse(text, out EgressRule? rule, out _) && rule is not null)
            {
                allow.Add(rule);
            }
        }

        var ports = PortMappings().Select(p => p.Mapping).ToList();

        return new EnvFirewallSpec(SessionId, Address)
        {
            Egress = Egress switch { "none" => EgressPolicy.None, "allow" => EgressPolicy.Allow, _ => EgressPolicy.All },
            Peers = Peers == "isolated" ? PeerPolicy.Isolated : PeerPolicy.Shared,
            Allow = allow,
            PeerAddresses = peers,
            Ports = ports,
        };
    }
}

/// <summary>
/// The network part's record of the bridged envs running on this host (one file per run dir, next to the hosts
/// file it generates). It is what a launch needs from its peers — their names and addresses for the hosts file and
/// "NAME.devshell" allow rules, and who allows whom — so a launch reads one small file instead of every session
/// and profile in the store, and a teardown removes its firewall rules without listing the nft table.
/// <para>
/// Concurrency: <see cref="Open"/> takes an exclusive lock (flock, through FileShare.None, on "&lt;path&gt;.lock")
/// held until <see cref="Dispose"/>, so launches and teardowns that change the envs' names and peer rules run one
/// after the other: a launch cannot miss a peer that starts at the same time, and the hosts file always lists every
/// registered env. <see cref="Save"/> replaces the file by rename, so readers that do not lock
/// (<see cref="ReadSessionIds"/>) see the old or the new content, never a mix. Lines it cannot parse are dropped.
/// </para>
/// <para>
/// Format (tab-separated, one env per line, entries in the order they started):
/// <c>SESSION IP PROFILE EGRESS PEERS ALLOW,... PORT,...</c> with "-" for an empty list.
/// </para>
/// </summary>
public sealed class EnvRegistry : IDisposable
{
    private const string Header = "# DevShell: running bridged envs (the network part's own state; do not edit)\n";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly FileStream _lock;
    private readonly string _path;
    private readonly List<EnvEntry> _entries;
    private bool _changed;

    private EnvRegistry(FileStream lockFile, string path, List<EnvEntry> entries)
    {
        _lock = lockFile;
        _path = path;
        _entries = entries;
    }

    /// <summary>The registered envs, oldest first.</summary>
    public IReadOnlyList<EnvEntry> Entries => _entries;

    /// <summary>
    /// Opens (creating it if needed) and locks the registry at <paramref name="path"/>, waiting up to 30 s for
    /// another process that holds it.
    /// </summary>
    public static EnvRegistry Open(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        string lockPath = path + ".lock";
        long deadline = Environment.TickCount64 + (long)LockTimeout.TotalMilliseconds;
        FileStream file;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Unix: it fails at once (EWOULDBLOCK) while another holds it.
                file = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
                break;
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(1);
            }
            catch (IOException e)
            {
                throw new IOException(
                    $"the DevShell env registry {path} stayed locked for {LockTimeout.TotalSeconds:F0} s (another devshell is " +
                    "starting or stopping a bridged env and hangs?); try again, or find the holder with `fuser " + lockPath + "`",
                    e);
            }
        }

        try
        {
            return new EnvRegistry(file, path, SmallFile.TryReadText(path) is string text ? Parse(text) : []);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Session ids in the registry at <paramref name="path"/> without locking it (for gc; empty if absent).</summary>
    public static IReadOnlyList<string> ReadSessionIds(string path)
    {
        return SmallFile.TryReadText(path) is string text ? Parse(text).ConvertAll(e => e.SessionId) : [];
    }

    /// <summary>The entry of <paramref name="sessionId"/>, or null.</summary>
    public EnvEntry? Find(string sessionId) => _entries.Find(e => e.SessionId == sessionId);

    /// <summary>Adds (or replaces) an entry; it becomes the newest.</summary>
    public void Add(EnvEntry entry)
    {
        _entries.RemoveAll(e => e.SessionId == entry.SessionId);
        _entries.Add(entry);
        _changed = true;
    }

    /// <summary>Removes the entry of <paramref name="sessionId"/>; false if there was none.</summary>
    public bool Remove(string sessionId)
    {
        bool removed = _entries.RemoveAll(e => e.SessionId == sessionId) > 0;
        _changed |= removed;
        return removed;
    }

    /// <summary>Profile name -> address of its running env; the newest env of a profile wins.</summary>
    public Dictionary<string, uint> PeerAddresses(string? except = null)
    {
        var result = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (EnvEntry e in _entries)
        {
            if (e.SessionId != except)
            {
                result[e.Profile] = e.Address;
            }
        }

        return result;
    }

    /// <summary>The hosts-file lines of the registered envs.</summary>
    /// <summary>
    /// The first host port <paramref name="entry"/> publishes that another registered env already publishes (same
    /// protocol and host port: the kernel map holds one element per pair), with that env; null if none.
    /// </summary>
    public (string Text, PortMapping Mapping, EnvEntry Owner)? FindPublishedConflict(EnvEntry entry)
    {
        foreach (var (text, mapping) in entry.PortMappings())
        {
            foreach (EnvEntry other in _entries)
            {
                if (other.SessionId != entry.SessionId
                    && other.PortMappings().Any(o => o.Mapping.Protocol == mapping.Protocol && o.Mapping.HostPort == mapping.HostPort))
                {
                    return (text, mapping, other);
                }
            }
        }

        return null;
    }

    public IEnumerable<HostsEntry> HostsEntries() => _entries.Select(e => new HostsEntry(e.Address, e.Profile, e.SessionId));

    /// <summary>Writes the entries if they changed (still under the lock): a temp file renamed over the old one.</summary>
    public void Save()
    {
        if (!_changed)
        {
            return;
        }

        // A new file, never truncated: File.WriteAllText truncates what it opens, and on ext4 closing a file truncated
        // to zero starts its writeback (auto_da_alloc) inside close(). A leftover of a crashed process with this pid
        // goes first.
        string temp = $"{_path}.{Environment.ProcessId}.tmp";
        byte[] bytes = Encoding.UTF8.GetBytes(Render(_entries));
        File.Delete(temp);
        using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.Write(handle, bytes, 0);
        }

        File.Move(temp, _path, overwrite: true);
        _changed = false;
    }

    /// <summary>Releases the lock (without saving: call <see cref="Save"/> first).</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>Removes the registry and its lock file (devshell net down); true if the registry existed.</summary>
    public static bool Delete(string path)
    {
        bool existed = File.Exists(path);
        File.Delete(path);
        File.Delete(path + ".lock");
        return existed;
    }

    /// <summary>The file's text for <paramref name="entries"/>.</summary>
    public static string Render(IEnumerable<EnvEntry> entries)
    {
        var s = new StringBuilder(Header);
        foreach (EnvEntry e in entries)
        {
            foreach (string field in new[] { e.SessionId, e.Profile, e.Egress, e.Peers }.Concat(e.Allow).Concat(e.Ports))
            {
                if (field.Length == 0 || field.Any(c => char.IsWhiteSpace(c) || c == ',' || char.IsControl(c)))
                {
                    throw new ArgumentException($"\"{field}\" of env {e.SessionId} cannot be stored in the env registry");
                }
            }

            s.Append(e.SessionId).Append('\t').Append(Ipv4.Format(e.Address)).Append('\t').Append(e.Profile).Append('\t')
                .Append(e.Egress).Append('\t').Append(e.Peers).Append('\t')
                .Append(List(e.Allow)).Append('\t').Append(List(e.Ports)).Append('\n');
        }

        return s.ToString();
    }

    /// <summary>Entries of a registry text, in order; malformed lines are skipped.</summary>
    public static List<EnvEntry> Parse(string text)
    {
        var entries = new List<EnvEntry>();
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] f = line.Split('\t');
            if (f.Length != 7 || f[0].Length == 0 || !Ipv4.TryParse(f[1], out uint address) || f[2].Length == 0)
            {
                continue;
            }

            entries.RemoveAll(e => e.SessionId == f[0]);
            entries.Add(new EnvEntry(f[0], address, f[2], f[3], f[4], Items(f[5]), Items(f[6])));
        }

        return entries;
    }

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "-" : string.Join(',', items);

    private static string[] Items(string field) =>
        field is "-" or "" ? [] : field.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
