namespace DevShell.Core.Networking;

/// <summary>Transport protocol of a published port or egress rule.</summary>
public enum Protocol
{
    /// <summary>TCP (the default when a rule names none).</summary>
    Tcp,

    /// <summary>UDP.</summary>
    Udp,
}
