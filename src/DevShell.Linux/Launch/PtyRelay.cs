using System.Runtime.InteropServices;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Launch;

/// <summary>
/// The env's terminal. The shell gets its own pseudo-terminal, in its own session, so nothing inside can reach the
/// host terminal (TIOCSTI on the env's tty only types into the env). The front puts the real terminal in raw mode
/// and relays bytes both ways, so Ctrl-C, Ctrl-Z and job control work inside; window resizes are forwarded.
/// When the shell exits the real terminal's settings are restored exactly as they were.
/// </summary>
public sealed unsafe class PtyRelay : IDisposable
{
    private readonly int _master;
    private byte[]? _savedTermios;
    private PosixSignalRegistration? _winch;

    private PtyRelay(int master, int slave)
    {
        _master = master;
        Slave = slave;
    }

    /// <summary>The slave side: stdin/stdout/stderr of the env.</summary>
    public int Slave { get; private set; }

    public static bool StdinIsTerminal => Libc.isatty(0) == 1;

    public static PtyRelay Open()
    {
        int master = Check.Fd(Libc.posix_openpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC), "posix_openpt", "opening a pseudo-terminal for the env");
        try
        {
            Check.Ok(Libc.grantpt(master), "grantpt", "granting the env's pseudo-terminal");
            Check.Ok(Libc.unlockpt(master), "unlockpt", "unlocking the env's pseudo-terminal");
            byte* name = stackalloc byte[128];
            int rc = Libc.ptsname_r(master, name, 128);
            if (rc != 0) throw new SyscallException("ptsname_r", rc, "naming the env's pseudo-terminal");
            int slave = Check.Fd(Libc.open(name, Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC, 0), "open", "opening the env's pseudo-terminal");
            var relay = new PtyRelay(master, slave);
            relay.CopyTerminalSettings();
            return relay;
        }
        catch
        {
            Libc.close(master);
            throw;
        }
    }

    /// <summary>The front's copy of the slave is closed once the env holds it, so the master sees EOF when the env is gone.</summary>
    public void CloseSlave()
    {
        if (Slave >= 0) Libc.close(Slave);
        Slave = -1;
    }

    private void CopyTerminalSettings()
    {
        byte* t = stackalloc byte[Libc.TermiosSize];
        if (Libc.tcgetattr(0, t) == 0) Libc.tcsetattr(Slave, Libc.TCSANOW, t);
        ForwardWindowSize();
    }

    private void ForwardWindowSize()
    {
        ushort* ws = stackalloc ushort[4];
        if (Libc.ioctl(0, Libc.TIOCGWINSZ, ws) == 0) Libc.ioctl(_master, Libc.TIOCSWINSZ, ws);
    }

    /// <summary>
    /// Relays until <paramref name="onStatus"/> returns true for a status line (the shell exited) or the status pipe
    /// closes; then drains what the shell wrote last. Raw mode is on for exactly this call.
    /// </summary>
    public void Run(int statusFd, Func<string, bool> onStatus, Action? onTick = null)
    {
        EnterRawMode();
        _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => ForwardWindowSize());
        try
        {
            Loop(statusFd, onStatus, onTick);
        }
        finally
        {
            _winch.Dispose();
            _winch = null;
            RestoreMode();
        }
    }

    private void Loop(int statusFd, Func<string, bool> onStatus, Action? onTick)
    {
        var buf = new byte[16384];
        var lines = new LineBuffer();
        PollFd* fds = stackalloc PollFd[3];
        bool stdinOpen = true;
        bool done = false;
        while (!done)
        {
            fds[0] = new PollFd { Fd = _master, Events = Libc.POLLIN };
            fds[1] = new PollFd { Fd = statusFd, Events = Libc.POLLIN };
            fds[2] = new PollFd { Fd = stdinOpen ? 0 : -1, Events = Libc.POLLIN };
            int n = Libc.poll(fds, 3, onTick is null ? -1 : 250);
            if (n == 0)
            {
                onTick!();
                continue;
            }
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                throw SyscallException.FromLastError("poll", "relaying the env's terminal");
            }
            if ((fds[0].Revents & (Libc.POLLIN | Libc.POLLHUP | Libc.POLLERR)) != 0 && !Pump(_master, 1, buf))
            {
                // EIO on the master: every holder of the env's terminal is gone.
                done = true;
            }
            if ((fds[2].Revents & (Libc.POLLIN | Libc.POLLHUP | Libc.POLLERR)) != 0 && !Pump(0, _master, buf))
            {
                stdinOpen = false;
            }
            if ((fds[1].Revents & (Libc.POLLIN | Libc.POLLHUP | Libc.POLLERR)) != 0)
            {
                var chunk = ReadSome(statusFd, buf);
                if (chunk <= 0) done = true;
                foreach (var line in lines.Add(buf.AsSpan(0, Math.Max(chunk, 0))))
                {
                    if (onStatus(line)) done = true;
                }
            }
        }
        Drain(buf);
    }

    /// <summary>Copies what the shell printed last (its final output may still sit in the pty buffer).</summary>
    private void Drain(byte[] buf)
    {
        PollFd* fd = stackalloc PollFd[1];
        for (int i = 0; i < 100; i++)
        {
            fd[0] = new PollFd { Fd = _master, Events = Libc.POLLIN };
            if (Libc.poll(fd, 1, 20) <= 0 || (fd[0].Revents & Libc.POLLIN) == 0) return;
            if (!Pump(_master, 1, buf)) return;
        }
    }

    private static int ReadSome(int fd, byte[] buf)
    {
        fixed (byte* p = buf)
        {
            return Check.Read(fd, p, buf.Length);
        }
    }

    private static bool Pump(int from, int to, byte[] buf)
    {
        int n = ReadSome(from, buf);
        if (n <= 0) return false;
        fixed (byte* p = buf)
        {
            int off = 0;
            while (off < n)
            {
                int w = Check.Write(to, p + off, n - off);
                if (w <= 0) return false;
                off += w;
            }
        }
        return true;
    }

    private void EnterRawMode()
    {
        var saved = new byte[Libc.TermiosSize];
        fixed (byte* t = saved)
        {
            if (Libc.tcgetattr(0, t) != 0) return; // not a terminal: nothing to restore
            _savedTermios = saved;
            byte* raw = stackalloc byte[Libc.TermiosSize];
            new Span<byte>(t, Libc.TermiosSize).CopyTo(new Span<byte>(raw, Libc.TermiosSize));
            Libc.cfmakeraw(raw);
            Libc.tcsetattr(0, Libc.TCSANOW, raw);
        }
    }

    private void RestoreMode()
    {
        if (_savedTermios is null) return;
        fixed (byte* t = _savedTermios)
        {
            Libc.tcsetattr(0, Libc.TCSADRAIN, t);
        }
        _savedTermios = null;
    }

    public void Dispose()
    {
        RestoreMode();
        _winch?.Dispose();
        CloseSlave();
        Libc.close(_master);
    }
}

/// <summary>Splits a byte stream into text lines.</summary>
internal sealed class LineBuffer
{
    private readonly List<byte> _pending = [];

    public List<string> Add(ReadOnlySpan<byte> data)
    {
        var lines = new List<string>();
        foreach (var b in data)
        {
            if (b == (byte)'\n')
            {
                lines.Add(System.Text.Encoding.UTF8.GetString([.. _pending]));
                _pending.Clear();
            }
            else
            {
                _pending.Add(b);
            }
        }
        return lines;
    }
}
