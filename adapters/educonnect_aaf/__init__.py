"""Directory-feed adapter: AAF1D XML files and the ONDE CSV extraction into a DirectorySnapshot."""
