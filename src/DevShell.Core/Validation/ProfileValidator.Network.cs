using DevShell.Core.Networking;
using DevShell.Core.Profiles;

namespace DevShell.Core.Validation;

public static partial class ProfileValidator
{
    /// <summary>Namespaces a profile may ask for.</summary>
    public static IReadOnlyList<string> KnownNamespaces { get; } = ["uts", "ipc", "mount", "pid", "net", "user", "cgroup"];

    private static void CheckNamespacesAndNetwork(Profile profile, ValidationContext context, Findings findings)
    {
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        if (findings.Present("namespaces", profile.Namespaces, "a list such as [\"uts\", \"ipc\", \"mount\", \"pid\", \"net\"]"))
        {
            for (var i = 0; i < profile.Namespaces.Count; i++)
            {
                var ns = profile.Namespaces[i];
                if (ns is null || !KnownNamespaces.Contains(ns))
                {
                    findings.Add($"namespaces[{i}]", ns, "is not a namespace (use uts, ipc, mount, pid, net, user, cgroup)");
                }
                else
                {
                    Distinct($"namespaces[{i}]", ns, namespaces, findings);
                }
            }

            if (!namespaces.Contains("mount"))
            {
                findings.Add("namespaces", null, "must include \"mount\" (DevShell needs its own mount namespace to set up the filesystem)");
            }

            if (!namespaces.Contains("pid"))
            {
                findings.Add("namespaces", null, "must include \"pid\" (DevShell needs its own PID namespace to track and stop the env)");
            }
        }

        if (!findings.Present("network", profile.Network, "an object such as {\"mode\": \"none\"}"))
        {
            return;
        }

        var network = profile.Network;
        var hasNet = namespaces.Contains("net");
        var knowNamespaces = profile.Namespaces is not null;
        switch (network.Mode)
        {
            case "bridge" when knowNamespaces && !hasNet:
                findings.Add("network.mode", network.Mode, "needs the \"net\" namespace (add \"net\" to namespaces)");
                break;
            case "none" when knowNamespaces && !hasNet:
                findings.Add("network.mode", network.Mode, "needs the \"net\" namespace (without it the env shares the host network; add \"net\" or use mode host)");
                break;
            case "host" when hasNet:
                findings.Add("network.mode", network.Mode, "cannot be used with the \"net\" namespace (remove \"net\" from namespaces, or use mode bridge)");
                break;
            case "bridge" or "none" or "host":
                break;
            default:
                findings.Add("network.mode", network.Mode, "is not a network mode (use none, bridge or host)");
                break;
        }

        CheckIp(network, context, findings);
        CheckEgress(network, findings);
        CheckPorts(network, findings);
    }

    private static void CheckIp(NetworkSpec network, ValidationContext context, Findings findings)
    {
        if (network.Ip is null)
        {
            return;
        }

        if (!Ipv4.TryParse(network.Ip, out var address))
        {
            findings.Add("network.ip", network.Ip, "is not an IPv4 address (use e.g. 10.77.0.10)");
        }
        else if (network.Mode != "bridge")
        {
            findings.Add("network.ip", network.Ip, "needs network.mode bridge (remove ip, or set mode to bridge)");
        }
        else if (context.BridgeSubnet is { } subnet)
        {
            if (!subnet.Contains(address))
            {
                findings.Add("network.ip", network.Ip, $"is outside the DevShell subnet {subnet} (pick an address inside it, or remove ip)");
            }
            else if (address == subnet.Network || address == subnet.Gateway || address == subnet.Broadcast)
            {
                findings.Add("network.ip", network.Ip, $"is reserved (the network, gateway and broadcast addresses of {subnet} cannot be used)");
            }
        }
    }

    private static void CheckEgress(NetworkSpec network, Findings findings)
    {
        if (!findings.Present("network.egress", network.Egress, "an object such as {\"policy\": \"all\"}"))
        {
            return;
        }

        var egress = network.Egress;
        switch (egress.Policy)
        {
            case "none" or "allow" when network.Mode == "host":
                findings.Add("network.egress.policy", egress.Policy, "cannot be enforced with network.mode host (use mode bridge, or policy all)");
                break;
            case "allow" when network.Mode == "none":
                findings.Add("network.egress.policy", egress.Policy, "needs network.mode bridge (mode none has no route out; use mode bridge, or policy none)");
                break;
            case "all" or "none" or "allow":
                break;
            default:
                findings.Add("network.egress.policy", egress.Policy, "is not an egress policy (use all, none or allow)");
                break;
        }

        if (egress.Peers is not ("shared" or "isolated"))
        {
            findings.Add("network.egress.peers", egress.Peers, "is not a peers setting (use shared or isolated)");
        }

        if (!findings.Present("network.egress.allow", egress.Allow, "[] for no rules")
            || !findings.CountAtMost("network.egress.allow", egress.Allow.Count, 256, "entries"))
        {
            return;
        }

        if (egress.Allow.Count > 0 && egress.Policy is "all" or "none")
        {
            findings.Add("network.egress.allow", null, $"has entries but network.egress.policy is \"{egress.Policy}\" (set policy to allow, or remove the entries)");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < egress.Allow.Count; i++)
        {
            var field = $"network.egress.allow[{i}]";
            if (!EgressRule.TryParse(egress.Allow[i], out var rule, out var problem))
            {
                findings.Add(field, egress.Allow[i], problem);
            }
            else
            {
                Distinct(field, rule!.ToString(), seen, findings);
            }
        }
    }

    private static void CheckPorts(NetworkSpec network, Findings findings)
    {
        if (!findings.Present("network.ports", network.Ports, "[] for no ports")
            || !findings.CountAtMost("network.ports", network.Ports.Count, 64, "entries"))
        {
            return;
        }

        if (network.Ports.Count > 0 && network.Mode != "bridge")
        {
            findings.Add("network.ports", null, "needs network.mode bridge (ports are published from the bridge; set mode to bridge, or remove ports)");
        }

        var hostPorts = new Dictionary<(int, Protocol), int>();
        for (var i = 0; i < network.Ports.Count; i++)
        {
            var field = $"network.ports[{i}]";
            if (!PortMapping.TryParse(network.Ports[i], out var mapping, out var problem))
            {
                findings.Add(field, network.Ports[i], problem);
            }
            else if (hostPorts.TryGetValue((mapping.HostPort, mapping.Protocol), out var first))
            {
                var proto = mapping.Protocol == Protocol.Udp ? "udp" : "tcp";
                findings.Add(field, network.Ports[i], $"publishes host port {mapping.HostPort}/{proto} again (network.ports[{first}] has it; each host port can be published once)");
            }
            else
            {
                hostPorts[(mapping.HostPort, mapping.Protocol)] = i;
            }
        }
    }
}
