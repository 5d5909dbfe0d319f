"use client";
import { useState } from "react";
import { useToast } from "@/components/ui/toast";

/** Copies text to the clipboard and says so; the label names what is copied for screen-reader users. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const toast = useToast();
  const [copied, setCopied] = useState(false);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      toast.show(`${label} copied to the clipboard`);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      // Clipboard access can be refused (insecure origin, permissions); the value stays selectable.
      toast.show("Could not copy automatically: select the text and copy it", "error");
    }
  }

  return (
    <button type="button" className="small-button" onClick={() => void copy()} aria-label={`Copy ${label}`}>
      {copied ? "Copied" : "Copy"}
    </button>
  );
}
