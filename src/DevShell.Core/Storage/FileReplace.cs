namespace DevShell.Core.Storage;

/// <summary>
/// Writes a small file so that a reader sees all of it or none: under a temporary name in the same directory
/// (<c>.NAME.PID.tmp</c>, never an existing file: no truncation) and renamed into place. On failure the temporary file
/// is removed and the exception goes to the caller.
/// </summary>
internal static class FileReplace
{
    public static void Write(string path, string text)
    {
        string tmp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
