using static TorchSharp.torch;

namespace Cnnc.Engine.Models;

/// <summary>One clear error for an input a network cannot take, instead of libtorch's message from deep inside it.</summary>
public static class InputSizeCheck
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="input"/> is N×C×H×W with H and W at least
    /// <paramref name="minimum"/>.
    /// </summary>
    /// <param name="input">The network's input.</param>
    /// <param name="minimum">Smallest side the network takes.</param>
    /// <param name="network">Name used in the message, e.g. "inception_v3".</param>
    public static void AtLeast(Tensor input, long minimum, string network)
    {
        if (input.dim() != 4)
            throw new ArgumentException($"{network} takes a batch of images N×C×H×W (got a {input.dim()}-D tensor [{string.Join(", ", input.shape)}]).");
        if (input.shape[2] < minimum || input.shape[3] < minimum)
            throw new ArgumentException($"{network} needs images of at least {minimum}×{minimum} pixels (got {input.shape[2]}×{input.shape[3]}).");
    }
}
