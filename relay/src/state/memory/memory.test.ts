import { describeStateContract } from "../contract";
import { createMemoryStateCluster } from "./index";

describeStateContract("memory", createMemoryStateCluster);
