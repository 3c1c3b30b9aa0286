using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DevShell.Linux.Net;
using DevShell.Linux.Net.Rtnetlink;
using DevShell.Linux.Tests.Support;
using Tmds.Linux;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// The hand-laid netlink structs and constants must match the system's kernel headers (the way Tmds.LibC checks
/// its own): a C program prints sizeof/offsetof/constant values and each is compared with the C# side.
/// </summary>
public sealed class NetlinkHeaderCheckTests(ITestOutputHelper output)
{
    private static readonly string[] Headers =
    [
        "stddef.h", "stdio.h", "sched.h", "sys/mount.h", "sys/socket.h", "net/if.h",
        "linux/netlink.h", "linux/rtnetlink.h", "linux/if_link.h", "linux/veth.h", "linux/if_addr.h",
        "linux/netfilter.h", "linux/netfilter/nfnetlink.h", "linux/netfilter/nf_tables.h",
        "linux/netfilter/nfnetlink_conntrack.h",
    ];

    [Fact]
    public void Netlink_structs_and_constants_match_the_kernel_headers()
    {
        if (!Requires.Command("gcc", output, "apt-get install gcc libc6-dev linux-libc-dev"))
        {
            return;
        }

        var expected = Checks();
        Dictionary<string, long> actual = RunC(expected.Select(c => (c.Name, c.CExpression)).ToList());

        var mismatches = new List<string>();
        foreach (var (name, cExpression, csharp) in expected)
        {
            if (actual[name] != csharp)
            {
                mismatches.Add($"{name}: C {cExpression} = {actual[name]}, C# = {csharp}");
            }
        }

        output.WriteLine($"checked {expected.Count} values against the headers");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private static List<(string Name, string CExpression, long CSharp)> Checks()
    {
        var list = new List<(string, string, long)>();
        void Size<T>(string cType) where T : unmanaged => list.Add(($"sizeof {cType}", $"sizeof(struct {cType})", Unsafe.SizeOf<T>()));
        void Offset<T>(string cType, string cField, string csField) where T : unmanaged =>
            list.Add(($"offsetof {cType}.{cField}", $"offsetof(struct {cType}, {cField})", Marshal.OffsetOf<T>(csField).ToInt64()));
        void Const(string c, long value) => list.Add((c, c, value));

        Const("NFNL_SUBSYS_CTNETLINK", Conntrack.NFNL_SUBSYS_CTNETLINK);
        Const("IPCTNL_MSG_CT_NEW", Conntrack.IPCTNL_MSG_CT_NEW);
        Const("IPCTNL_MSG_CT_GET", Conntrack.IPCTNL_MSG_CT_GET);
        Const("IPCTNL_MSG_CT_DELETE", Conntrack.IPCTNL_MSG_CT_DELETE);
        Const("CTA_TUPLE_ORIG", Conntrack.CTA_TUPLE_ORIG);
        Const("CTA_ZONE", Conntrack.CTA_ZONE);
        Const("CTA_TUPLE_IP", Conntrack.CTA_TUPLE_IP);
        Const("CTA_TUPLE_PROTO", Conntrack.CTA_TUPLE_PROTO);
        Const("CTA_IP_V4_DST", Conntrack.CTA_IP_V4_DST);
        Const("CTA_PROTO_NUM", Conntrack.CTA_PROTO_NUM);
        Const("CTA_PROTO_DST_PORT", Conntrack.CTA_PROTO_DST_PORT);
        Size<NlMsgHdr>("nlmsghdr");
        Offset<NlMsgHdr>("nlmsghdr", "nlmsg_len", nameof(NlMsgHdr.Len));
        Offset<NlMsgHdr>("nlmsghdr", "nlmsg_type", nameof(NlMsgHdr.Type));
        Offset<NlMsgHdr>("nlmsghdr", "nlmsg_flags", nameof(NlMsgHdr.Flags));
        Offset<NlMsgHdr>("nlmsghdr", "nlmsg_seq", nameof(NlMsgHdr.Seq));
        Offset<NlMsgHdr>("nlmsghdr", "nlmsg_pid", nameof(NlMsgHdr.Pid));
        Size<NlMsgErr>("nlmsgerr");
        Offset<NlMsgErr>("nlmsgerr", "error", nameof(NlMsgErr.Error));
        Offset<NlMsgErr>("nlmsgerr", "msg", nameof(NlMsgErr.Msg));
        Size<RtAttr>("rtattr");
        Offset<RtAttr>("rtattr", "rta_len", nameof(RtAttr.Len));
        Offset<RtAttr>("rtattr", "rta_type", nameof(RtAttr.Type));
        Size<IfInfoMsg>("ifinfomsg");
        Offset<IfInfoMsg>("ifinfomsg", "ifi_family", nameof(IfInfoMsg.Family));
        Offset<IfInfoMsg>("ifinfomsg", "ifi_type", nameof(IfInfoMsg.Type));
        Offset<IfInfoMsg>("ifinfomsg", "ifi_index", nameof(IfInfoMsg.Index));
        Offset<IfInfoMsg>("ifinfomsg", "ifi_flags", nameof(IfInfoMsg.Flags));
        Offset<IfInfoMsg>("ifinfomsg", "ifi_change", nameof(IfInfoMsg.Change));
        Size<IfAddrMsg>("ifaddrmsg");
        Offset<IfAddrMsg>("ifaddrmsg", "ifa_family", nameof(IfAddrMsg.Family));
        Offset<IfAddrMsg>("ifaddrmsg", "ifa_prefixlen", nameof(IfAddrMsg.PrefixLen));
        Offset<IfAddrMsg>("ifaddrmsg", "ifa_flags", nameof(IfAddrMsg.Flags));
        Offset<IfAddrMsg>("ifaddrmsg", "ifa_scope", nameof(IfAddrMsg.Scope));
        Offset<IfAddrMsg>("ifaddrmsg", "ifa_index", nameof(IfAddrMsg.Index));
        Size<RtMsg>("rtmsg");
        Offset<RtMsg>("rtmsg", "rtm_family", nameof(RtMsg.Family));
        Offset<RtMsg>("rtmsg", "rtm_dst_len", nameof(RtMsg.DstLen));
        Offset<RtMsg>("rtmsg", "rtm_src_len", nameof(RtMsg.SrcLen));
        Offset<RtMsg>("rtmsg", "rtm_tos", nameof(RtMsg.Tos));
        Offset<RtMsg>("rtmsg", "rtm_table", nameof(RtMsg.Table));
        Offset<RtMsg>("rtmsg", "rtm_protocol", nameof(RtMsg.Protocol));
        Offset<RtMsg>("rtmsg", "rtm_scope", nameof(RtMsg.Scope));
        Offset<RtMsg>("rtmsg", "rtm_type", nameof(RtMsg.Type));
        Offset<RtMsg>("rtmsg", "rtm_flags", nameof(RtMsg.Flags));
        Size<NfGenMsg>("nfgenmsg");
        Offset<NfGenMsg>("nfgenmsg", "nfgen_family", nameof(NfGenMsg.Family));
        Offset<NfGenMsg>("nfgenmsg", "version", nameof(NfGenMsg.Version));
        Offset<NfGenMsg>("nfgenmsg", "res_id", nameof(NfGenMsg.ResId));
        Offset<RtnlLinkStats64Head>("rtnl_link_stats64", "rx_packets", nameof(RtnlLinkStats64Head.RxPackets));
        Offset<RtnlLinkStats64Head>("rtnl_link_stats64", "tx_packets", nameof(RtnlLinkStats64Head.TxPackets));
        Offset<RtnlLinkStats64Head>("rtnl_link_stats64", "rx_bytes", nameof(RtnlLinkStats64Head.RxBytes));
        Offset<RtnlLinkStats64Head>("rtnl_link_stats64", "tx_bytes", nameof(RtnlLinkStats64Head.TxBytes));
        Offset<RtnlLinkStats64Head>("rtnl_link_stats64", "rx_errors", nameof(RtnlLinkStats64Head.RxErrors));
        Offset<RtnlLinkStats64Head>("rtnl_link_stats64", "tx_errors", nameof(RtnlLinkStats64Head.TxErrors));
        Offset<RtnlLinkStats64Head>("rtnl_link_stats64", "rx_dropped", nameof(RtnlLinkStats64Head.RxDropped));
        Offset<RtnlLinkStats64Head>("rtnl_link_stats64", "tx_dropped", nameof(RtnlLinkStats64Head.TxDropped));

        Const("AF_UNSPEC", Rtnl.AF_UNSPEC);
        Const("AF_INET", Rtnl.AF_INET);
        Const("AF_BRIDGE", Rtnl.AF_BRIDGE);
        Const("AF_NETLINK", Rtnl.AF_NETLINK);
        Const("NETLINK_ROUTE", Rtnl.NETLINK_ROUTE);
        Const("SOL_NETLINK", Rtnl.SOL_NETLINK);
        Const("NETLINK_CAP_ACK", Rtnl.NETLINK_CAP_ACK);
        Const("NETLINK_EXT_ACK", Rtnl.NETLINK_EXT_ACK);
        Const("NLMSG_NOOP", Rtnl.NLMSG_NOOP);
        Const("NLMSG_ERROR", Rtnl.NLMSG_ERROR);
        Const("NLMSG_DONE", Rtnl.NLMSG_DONE);
        Const("NLM_F_REQUEST", Rtnl.NLM_F_REQUEST);
        Const("NLM_F_MULTI", Rtnl.NLM_F_MULTI);
        Const("NLM_F_ACK", Rtnl.NLM_F_ACK);
        Const("NLM_F_DUMP_INTR", Rtnl.NLM_F_DUMP_INTR);
        Const("NLM_F_DUMP", Rtnl.NLM_F_DUMP);
        Const("NLM_F_REPLACE", Rtnl.NLM_F_REPLACE);
        Const("NLM_F_EXCL", Rtnl.NLM_F_EXCL);
        Const("NLM_F_CREATE", Rtnl.NLM_F_CREATE);
        Const("NLM_F_CAPPED", Rtnl.NLM_F_CAPPED);
        Const("NLM_F_ACK_TLVS", Rtnl.NLM_F_ACK_TLVS);
        Const("NLA_F_NESTED", Rtnl.NLA_F_NESTED);
        Const("NLMSGERR_ATTR_MSG", Rtnl.NLMSGERR_ATTR_MSG);
        Const("NLMSG_ALIGNTO", Rtnl.Align);
        Const("RTA_ALIGNTO", Rtnl.Align);
        Const("RTM_NEWLINK", Rtnl.RTM_NEWLINK);
        Const("RTM_DELLINK", Rtnl.RTM_DELLINK);
        Const("RTM_GETLINK", Rtnl.RTM_GETLINK);
        Const("RTM_NEWADDR", Rtnl.RTM_NEWADDR);
        Const("RTM_GETADDR", Rtnl.RTM_GETADDR);
        Const("RTM_NEWROUTE", Rtnl.RTM_NEWROUTE);
        Const("RTM_GETROUTE", Rtnl.RTM_GETROUTE);
        Const("IFLA_ADDRESS", Rtnl.IFLA_ADDRESS);
        Const("IFLA_IFNAME", Rtnl.IFLA_IFNAME);
        Const("IFLA_MTU", Rtnl.IFLA_MTU);
        Const("IFLA_LINK", Rtnl.IFLA_LINK);
        Const("IFLA_GSO_MAX_SIZE", Rtnl.IFLA_GSO_MAX_SIZE);
        Const("IFLA_MASTER", Rtnl.IFLA_MASTER);
        Const("IFLA_OPERSTATE", Rtnl.IFLA_OPERSTATE);
        Const("IFLA_LINKINFO", Rtnl.IFLA_LINKINFO);
        Const("IFLA_STATS64", Rtnl.IFLA_STATS64);
        Const("IFLA_NET_NS_FD", Rtnl.IFLA_NET_NS_FD);
        Const("IFLA_INFO_KIND", Rtnl.IFLA_INFO_KIND);
        Const("IFLA_INFO_DATA", Rtnl.IFLA_INFO_DATA);
        Const("IFLA_INFO_SLAVE_KIND", Rtnl.IFLA_INFO_SLAVE_KIND);
        Const("IFLA_INFO_SLAVE_DATA", Rtnl.IFLA_INFO_SLAVE_DATA);
        Const("IFLA_BRPORT_ISOLATED", Rtnl.IFLA_BRPORT_ISOLATED);
        Const("VETH_INFO_PEER", Rtnl.VETH_INFO_PEER);
        Const("IFA_ADDRESS", Rtnl.IFA_ADDRESS);
        Const("IFA_LOCAL", Rtnl.IFA_LOCAL);
        Const("IFA_BROADCAST", Rtnl.IFA_BROADCAST);
        Const("RTA_DST", Rtnl.RTA_DST);
        Const("RTA_OIF", Rtnl.RTA_OIF);
        Const("RTA_GATEWAY", Rtnl.RTA_GATEWAY);
        Const("RTA_TABLE", Rtnl.RTA_TABLE);
        Const("RT_TABLE_MAIN", Rtnl.RT_TABLE_MAIN);
        Const("RTPROT_BOOT", Rtnl.RTPROT_BOOT);
        Const("RT_SCOPE_UNIVERSE", Rtnl.RT_SCOPE_UNIVERSE);
        Const("RT_SCOPE_LINK", Rtnl.RT_SCOPE_LINK);
        Const("RTN_UNICAST", Rtnl.RTN_UNICAST);
        Const("IFF_UP", Rtnl.IFF_UP);
        Const("NETLINK_NETFILTER", Rtnl.NETLINK_NETFILTER);
        Const("NFPROTO_INET", Rtnl.NFPROTO_INET);
        Const("NFNETLINK_V0", Rtnl.NFNETLINK_V0);
        Const("NFNL_SUBSYS_NFTABLES", Rtnl.NFNL_SUBSYS_NFTABLES);
        Const("NFT_MSG_NEWCHAIN", Rtnl.NFT_MSG_NEWCHAIN);
        Const("NFT_MSG_GETCHAIN", Rtnl.NFT_MSG_GETCHAIN);
        Const("NFTA_CHAIN_TABLE", Rtnl.NFTA_CHAIN_TABLE);
        Const("NFTA_CHAIN_NAME", Rtnl.NFTA_CHAIN_NAME);
        Const("NFT_MSG_NEWOBJ", Rtnl.NFT_MSG_NEWOBJ);
        Const("NFT_MSG_GETOBJ", Rtnl.NFT_MSG_GETOBJ);
        Const("NFTA_OBJ_TABLE", Rtnl.NFTA_OBJ_TABLE);
        Const("NFTA_OBJ_NAME", Rtnl.NFTA_OBJ_NAME);
        Const("NFTA_OBJ_TYPE", Rtnl.NFTA_OBJ_TYPE);
        Const("NFTA_OBJ_DATA", Rtnl.NFTA_OBJ_DATA);
        Const("NFTA_COUNTER_BYTES", Rtnl.NFTA_COUNTER_BYTES);
        Const("NFTA_COUNTER_PACKETS", Rtnl.NFTA_COUNTER_PACKETS);
        Const("NFT_OBJECT_COUNTER", Rtnl.NFT_OBJECT_COUNTER);
        Const("IFNAMSIZ", Netlink.MaxInterfaceName + 1);
        Const("MSG_TRUNC", NetlinkSocket.MSG_TRUNC);
        Const("SOCK_RAW", LibC.SOCK_RAW);
        Const("CLONE_NEWNET", LibC.CLONE_NEWNET);
        Const("MS_BIND", (long)NetnsManager.MS_BIND);
        Const("MS_REC", (long)NetnsManager.MS_REC);
        Const("MS_SHARED", (long)NetnsManager.MS_SHARED);
        Const("MNT_DETACH", NetnsManager.MNT_DETACH);
        return list;
    }

    private Dictionary<string, long> RunC(IReadOnlyList<(string Name, string CExpression)> checks)
    {
        string dir = Directory.CreateTempSubdirectory("devshell-hdrcheck-").FullName;
        try
        {
            var c = new StringBuilder();
            c.Append("#define _GNU_SOURCE\n");
            foreach (string h in Headers)
            {
                c.Append(CultureInfo.InvariantCulture, $"#include <{h}>\n");
            }

            c.Append("int main(void) {\n");
            foreach (var (name, expression) in checks)
            {
                c.Append(CultureInfo.InvariantCulture, $"  printf(\"%s=%lld\\n\", \"{name}\", (long long)({expression}));\n");
            }

            c.Append("  return 0;\n}\n");
            string source = Path.Combine(dir, "check.c");
            string exe = Path.Combine(dir, "check");
            File.WriteAllText(source, c.ToString());
            string compile = Run("gcc", ["-Wall", "-o", exe, source]);
            output.WriteLine(compile);
            string printed = Run(exe, []);
            return printed.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('=', 2))
                .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new TimeoutException($"{file} did not finish in 60 s");
        }

        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result + stderr.Result;
    }
}
