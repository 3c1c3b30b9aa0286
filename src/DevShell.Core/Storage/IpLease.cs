namespace DevShell.Core.Storage;

/// <summary>An IPv4 address leased to a session on the DevShell bridge.</summary>
/// <param name="Ip">Dotted-quad address.</param>
/// <param name="SessionId">The session holding it.</param>
/// <param name="Subnet">The subnet it was allocated from, e.g. 10.77.0.0/24.</param>
/// <param name="Allocated">When it was leased (UTC).</param>
public sealed record IpLease(string Ip, string SessionId, string Subnet, DateTime Allocated);
