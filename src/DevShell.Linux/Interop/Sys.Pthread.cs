using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

internal static unsafe partial class Sys
{
    /// <summary>pthread_create(3): a plain native thread. Returns 0 or the error number (not errno).</summary>
    [LibraryImport("libc", EntryPoint = "pthread_create")]
    internal static partial int PthreadCreate(nuint* thread, void* attributes, delegate* unmanaged<nint, nint> start, nint argument);

    /// <summary>pthread_join(3). Returns 0 or the error number (not errno).</summary>
    [LibraryImport("libc", EntryPoint = "pthread_join")]
    internal static partial int PthreadJoin(nuint thread, void** result);
}
