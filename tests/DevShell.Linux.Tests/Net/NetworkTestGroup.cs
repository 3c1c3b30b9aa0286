using Xunit;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// Network integration tests run one at a time: they share host-wide state (sysctls such as ip_forward, the nat
/// hooks, the process's mount of the netns directory) even though every test uses its own names.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetworkTestGroup
{
    public const string Name = "network";
}
