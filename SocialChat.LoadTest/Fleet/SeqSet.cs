namespace SocialChat.LoadTest.Fleet;

/// <summary>The seqs one member received of one conversation, as a bitmap (seqs are 1, 2, 3 … with no gaps).</summary>
internal sealed class SeqSet
{
    private ulong[] _bits = new ulong[2];

    public void Add(long seq)
    {
        if (seq < 1)
        {
            return;
        }

        var word = (int)(seq >> 6);
        if (word >= _bits.Length)
        {
            Array.Resize(ref _bits, Math.Max(word + 1, _bits.Length * 2));
        }

        _bits[word] |= 1UL << (int)(seq & 63);
    }

    public bool Contains(long seq)
    {
        var word = (int)(seq >> 6);
        return seq >= 1 && word < _bits.Length && (_bits[word] & (1UL << (int)(seq & 63))) != 0;
    }

    public IEnumerable<long> MissingUpTo(long lastSeq)
    {
        for (long seq = 1; seq <= lastSeq; seq++)
        {
            if (!Contains(seq))
            {
                yield return seq;
            }
        }
    }
}
