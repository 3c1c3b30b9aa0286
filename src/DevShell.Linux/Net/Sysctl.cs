namespace DevShell.Linux.Net;

/// <summary>
/// Reads and writes /proc/sys values under a root directory (default /proc/sys) so tests can use a fixture tree.
/// The networking ones DevShell needs: net.ipv4.ip_forward and per-bridge net.ipv4.conf.&lt;bridge&gt;.*.
/// Note: net.* values are per network namespace — the namespace of the thread that opens the file.
/// </summary>
public sealed class Sysctl(string root = "/proc/sys")
{
    public string Root { get; } = root;

    /// <summary>The value of <paramref name="key"/> ("net/ipv4/ip_forward"), trimmed; null if the file is absent.</summary>
    public string? TryRead(string key)
    {
        return SmallFile.TryReadText(Path.Combine(Root, key))?.Trim();
    }

    /// <summary>Writes <paramref name="value"/> to <paramref name="key"/> if it differs. Returns true if it changed.</summary>
    public bool Ensure(string key, string value)
    {
        string path = Path.Combine(Root, key);
        string current = SmallFile.TryReadText(path) ?? throw new FileNotFoundException(
            $"sysctl {key.Replace('/', '.')} does not exist ({path}); the kernel lacks the feature or /proc/sys is not mounted",
            path);
        if (string.Equals(current.Trim(), value, StringComparison.Ordinal))
        {
            return false;
        }

        File.WriteAllText(path, value + "\n");
        return true;
    }

    /// <summary>net.ipv4.ip_forward is 1.</summary>
    public bool IpForwardEnabled => TryRead("net/ipv4/ip_forward") == "1";

    /// <summary>Turns net.ipv4.ip_forward on; returns true if it was off (the caller reports it).</summary>
    public bool EnableIpForward() => Ensure("net/ipv4/ip_forward", "1");

    /// <summary>
    /// Sets net.ipv4.conf.all.send_redirects to 0 so that <paramref name="bridge"/>'s own 0 takes effect (the kernel
    /// ORs "all" with each interface's value), but only when that changes nothing for any other interface: every
    /// other interface whose own value is 0 must be a bridge (&lt;sysClassNet&gt;/IF/bridge exists); interfaces
    /// with their own 1 keep sending redirects either way. Returns true if it wrote. One read when "all" is 0.
    /// </summary>
    public bool DisableRedirectsOverride(string bridge, string sysClassNet = "/sys/class/net")
    {
        const string all = "net/ipv4/conf/all/send_redirects";
        if (TryRead(all) != "1")
        {
            return false;
        }

        string conf = Path.Combine(Root, "net", "ipv4", "conf");
        foreach (string dir in Directory.EnumerateDirectories(conf))
        {
            string name = Path.GetFileName(dir);
            if (name is "all" or "default" || name == bridge)
            {
                continue;
            }

            string? own;
            try
            {
                own = TryRead($"net/ipv4/conf/{name}/send_redirects");
            }
            catch (IOException)
            {
                continue; // the interface went away meanwhile
            }

            if (own == "0" && !Directory.Exists(Path.Combine(sysClassNet, name, "bridge")))
            {
                return false;
            }
        }

        return Ensure(all, "0");
    }

}
