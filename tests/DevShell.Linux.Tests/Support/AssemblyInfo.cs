using Xunit;

// Integration tests create real namespaces, cgroups, bridges and nft tables as root on a 2-core machine:
// run them one at a time so they never race each other for kernel objects or CPU budgets.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
