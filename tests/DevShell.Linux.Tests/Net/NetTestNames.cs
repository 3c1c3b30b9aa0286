using System.Security.Cryptography;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// Unique, test-only names, so tests never touch (or collide with) a real DevShell: bridge "dstest&lt;hex&gt;",
/// nft table "devshell_test_&lt;hex&gt;", netns directory /run/devshell-test-&lt;hex&gt;/netns, subnets in 10.250.0.0/16.
/// </summary>
internal static class NetTestNames
{
    public static string Hex(int bytes = 3) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    public static string Bridge() => "dstest" + Hex();

    public static string NftTable() => "devshell_test_" + Hex();

    public static string NetnsDirectory() => $"/run/devshell-test-{Hex()}/netns";

    /// <summary>A random /24 in 10.250.0.0/16 (tests pick one each, so parallel runs rarely overlap).</summary>
    public static string Subnet24() => $"10.250.{RandomNumberGenerator.GetInt32(1, 255)}.0/24";
}
