using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>
    /// execve(2) with this process's environment: replaces the whole process (every thread) with
    /// <paramref name="path"/>. Returns only on failure, with the errno.
    /// </summary>
    internal static unsafe int Execve(string path, IReadOnlyList<string> argv)
    {
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry kv in Environment.GetEnvironmentVariables())
        {
            env.Add($"{kv.Key}={kv.Value}");
        }

        var strings = new List<nint>();
        try
        {
            nint Alloc(string s)
            {
                var p = Marshal.StringToCoTaskMemUTF8(s);
                strings.Add(p);
                return p;
            }

            var args = stackalloc byte*[argv.Count + 1];
            for (int i = 0; i < argv.Count; i++) args[i] = (byte*)Alloc(argv[i]);
            args[argv.Count] = null;
            var envp = new byte*[env.Count + 1];
            for (int i = 0; i < env.Count; i++) envp[i] = (byte*)Alloc(env[i]);
            fixed (byte** e = envp)
            fixed (byte* p = Check.Z(path))
            {
                _ = execve(p, args, e); // returns only on failure
            }

            return LibC.errno;
        }
        finally
        {
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }
}
