namespace DevShell.Linux.Net.Nft;

/// <summary>nft rejected a batch or could not run. The message says what DevShell was doing and what nft said.</summary>
public sealed class NftException : Exception
{
    public NftException()
    {
    }

    public NftException(string message) : base(message)
    {
    }

    public NftException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>nft's standard error, trimmed.</summary>
    public string NftOutput { get; init; } = "";
}
